"""POST /auth/login and /auth/me; deactivated accounts."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, assert_error, bearer


def login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_returns_tokens_and_user(client, owner):
    response = login(client, owner.user["email"])
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"access_token", "refresh_token", "user"}
    assert data["user"] == owner.user
    assert client.get("/api/v1/auth/me", headers=bearer(data["access_token"])).get_json() == owner.user


def test_login_ignores_case_and_surrounding_spaces_in_the_email(client, owner):
    assert login(client, f"  {owner.user['email'].upper()} ").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(client, owner):
    wrong_password = assert_error(login(client, owner.user["email"], "not-the-password"), 401, "UNAUTHORIZED")
    unknown_email = assert_error(login(client, "nobody@example.com"), 401, "UNAUTHORIZED")
    assert wrong_password["detail"] == unknown_email["detail"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": ""}, "password"),
        ({"email": "a" * 255, "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "p" * 129}, "password"),
    ],
)
def test_login_validation(client, body, field):
    payload = assert_error(client.post("/api/v1/auth/login", json=body), 422)
    assert list(payload["errors"]) == [field]


def test_me_needs_a_token(client):
    assert_error(client.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")


def test_me_of_staff_shows_granted_permissions(owner, make_staff):
    staff = make_staff(owner, inbox=True)
    me = staff.get("/api/v1/auth/me").get_json()
    assert me["role"] == "staff"
    assert me["permissions"] == {"inbox": True, "bookings": False, "forms": False, "inventory": False}
    assert me["workspace_id"] == owner.workspace_id


def test_deactivated_staff_cannot_log_in_and_its_tokens_stop_at_once(client, owner, make_staff):
    staff = make_staff(owner, bookings=True)
    assert staff.get("/api/v1/auth/me").status_code == 200
    response = owner.patch(f"/api/v1/staff/{staff.user['id']}", json={"is_active": False})
    assert response.status_code == 200 and response.get_json()["is_active"] is False

    assert_error(staff.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(staff.refresh_token)), 401, "UNAUTHORIZED")
    denied = assert_error(login(client, staff.user["email"]), 401, "UNAUTHORIZED")
    unknown = assert_error(login(client, "nobody@example.com"), 401, "UNAUTHORIZED")
    assert denied["detail"] == unknown["detail"]

    owner.patch(f"/api/v1/staff/{staff.user['id']}", json={"is_active": True})
    assert login(client, staff.user["email"]).status_code == 200
