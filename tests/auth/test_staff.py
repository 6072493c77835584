"""GET /staff, PATCH /staff/{id}, GET /staff/invitations (owner only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.conftest import PASSWORD, assert_error, bearer

NO_PERMISSIONS = {"inbox": False, "bookings": False, "forms": False, "inventory": False}


def test_owner_lists_every_user_of_the_workspace(owner, other_owner, make_staff):
    staff = make_staff(owner, inbox=True)
    make_staff(other_owner)
    users = owner.get("/api/v1/staff").get_json()
    assert [u["id"] for u in users] == [owner.user["id"], staff.user["id"]]
    assert users[1] == staff.user
    assert all(
        set(u) == {"id", "email", "full_name", "role", "workspace_id", "permissions", "is_active"} for u in users
    )


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/staff"),
        ("GET", "/api/v1/staff/invitations"),
        ("POST", "/api/v1/staff/invitations"),
        ("PATCH", "/api/v1/staff/{id}"),
    ],
)
def test_staff_cannot_manage_staff(owner, make_staff, method, path):
    staff = make_staff(owner, inbox=True, bookings=True, forms=True, inventory=True)
    url = path.format(id=staff.user["id"])
    body = (
        {"email": "x@example.com"}
        if method == "POST"
        else ({"permissions": {"inbox": False}} if method == "PATCH" else None)
    )
    assert_error(staff.client.open(url, method=method, json=body, headers=staff.headers), 403, "FORBIDDEN")


def test_patch_permissions_changes_only_the_given_ones(owner, make_staff):
    staff = make_staff(owner, inbox=True, forms=True)
    response = owner.patch(
        f"/api/v1/staff/{staff.user['id']}", json={"permissions": {"bookings": True, "forms": False}}
    )
    assert response.status_code == 200
    expected = {"inbox": True, "bookings": True, "forms": False, "inventory": False}
    assert response.get_json()["permissions"] == expected
    assert staff.get("/api/v1/auth/me").get_json()["permissions"] == expected


def test_permission_changes_apply_to_existing_tokens(owner, make_staff):
    staff = make_staff(owner)
    assert_error(staff.get("/api/v1/staff"), 403)  # (owner-only regardless)
    owner.patch(f"/api/v1/staff/{staff.user['id']}", json={"permissions": {"inbox": True}})
    assert staff.get("/api/v1/auth/me").get_json()["permissions"]["inbox"] is True


def test_user_of_another_workspace_is_404(owner, other_owner, make_staff):
    foreign = make_staff(other_owner, inbox=True)
    for user_id in (foreign.user["id"], other_owner.user["id"], "00000000-0000-0000-0000-000000000000", "x" * 100):
        assert_error(owner.patch(f"/api/v1/staff/{user_id}", json={"is_active": False}), 404, "NOT_FOUND")
    assert foreign.get("/api/v1/auth/me").get_json()["is_active"] is True


def test_the_owner_cannot_be_changed(owner):
    for body in ({"is_active": False}, {"permissions": {"inbox": False}}):
        assert_error(owner.patch(f"/api/v1/staff/{owner.user['id']}", json=body), 409, "CONFLICT")
    assert owner.get("/api/v1/auth/me").get_json()["is_active"] is True


@pytest.mark.parametrize(
    "body, field",
    [
        ({"is_active": "nope"}, "is_active"),
        ({"permissions": {"admin": True}}, "permissions"),
        ({"permissions": {"inbox": "yes please"}}, "permissions"),
        ({"role": "owner"}, "role"),
        ({"permissions": None}, "permissions"),
    ],
)
def test_patch_validation(owner, make_staff, body, field):
    staff = make_staff(owner)
    payload = assert_error(owner.patch(f"/api/v1/staff/{staff.user['id']}", json=body), 422)
    assert list(payload["errors"]) == [field]


def test_invitations_list_with_status(client, owner, other_owner):
    def invite(email):
        return owner.post("/api/v1/staff/invitations", json={"email": email, "permissions": {"forms": True}})

    old = invite("old@example.com").get_json()
    other_owner.post("/api/v1/staff/invitations", json={"email": "elsewhere@example.com"})
    with time_machine.travel(datetime.now(UTC) + timedelta(days=8), tick=False):
        login = client.post("/api/v1/auth/login", json={"email": owner.user["email"], "password": PASSWORD})
        owner.headers = bearer(login.get_json()["access_token"])  # the first one expired on the way
        accepted = invite("accepted@example.com").get_json()
        pending = invite("pending@example.com").get_json()
        client.post(
            "/api/v1/auth/accept-invitation",
            json={"token": accepted["token"], "full_name": "Ann", "password": PASSWORD},
        )
        listed = owner.get("/api/v1/staff/invitations").get_json()
    statuses = {i["email"]: i["status"] for i in listed}
    assert statuses == {
        "old@example.com": "expired",
        "accepted@example.com": "accepted",
        "pending@example.com": "pending",
    }
    assert all("token" not in i for i in listed)
    assert {i["id"] for i in listed} == {old["id"], accepted["id"], pending["id"]}
    assert listed[0]["permissions"] == {**NO_PERMISSIONS, "forms": True}


def test_staff_and_invitations_are_paginated(owner, make_staff):
    for _ in range(3):
        make_staff(owner)
    response = owner.get("/api/v1/staff", query_string={"page_size": 2, "page": 2})
    assert response.status_code == 200 and len(response.get_json()) == 2
    assert json.loads(response.headers["X-Pagination"])["total"] == 4
    invitations = owner.get("/api/v1/staff/invitations", query_string={"page_size": 1})
    assert len(invitations.get_json()) == 1 and json.loads(invitations.headers["X-Pagination"])["total"] == 3
    assert_error(owner.get("/api/v1/staff", query_string={"page_size": 101}), 422)


def test_staff_endpoints_are_documented_with_the_workspace(client):
    # Auth owns them (careops.auth.staff_views); API.md and generated clients group them with the workspace.
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    staff = [(p, m) for p in paths if p.startswith("/api/v1/staff") for m in paths[p] if m != "parameters"]
    assert sorted(staff) == [
        ("/api/v1/staff", "get"),
        ("/api/v1/staff/invitations", "get"),
        ("/api/v1/staff/invitations", "post"),
        ("/api/v1/staff/{user_id}", "patch"),
    ]
    assert {tuple(paths[path][method]["tags"]) for path, method in staff} == {("workspace",)}
