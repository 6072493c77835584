"""Staff invitations: POST /staff/invitations, POST /auth/accept-invitation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine

from tests.conftest import PASSWORD, assert_error, bearer


def invite(owner, email="sam@example.com", **permissions):
    response = owner.post("/api/v1/staff/invitations", json={"email": email, "permissions": permissions})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def accept(client, token, full_name="Sam Staff", password=PASSWORD):
    return client.post(
        "/api/v1/auth/accept-invitation", json={"token": token, "full_name": full_name, "password": password}
    )


def test_accepting_creates_staff_with_the_invited_permissions(client, owner):
    invitation = invite(owner, inbox=True, forms=True)
    assert invitation["status"] == "pending" and invitation["email"] == "sam@example.com"
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)

    response = accept(client, invitation["token"])
    assert response.status_code == 201
    data = response.get_json()
    assert set(data) == {"access_token", "refresh_token", "user"}
    user = data["user"]
    assert user["role"] == "staff" and user["workspace_id"] == owner.workspace_id
    assert user["email"] == "sam@example.com" and user["full_name"] == "Sam Staff"
    assert user["permissions"] == {"inbox": True, "bookings": False, "forms": True, "inventory": False}
    assert client.get("/api/v1/auth/me", headers=bearer(data["access_token"])).get_json() == user
    assert client.post("/api/v1/auth/login", json={"email": "sam@example.com", "password": PASSWORD}).status_code == 200


def test_an_invitation_is_single_use(client, owner):
    token = invite(owner)["token"]
    assert accept(client, token).status_code == 201
    assert_error(accept(client, token, full_name="Someone Else"), 404, "NOT_FOUND")


def test_wrong_token_is_404(client, owner):
    invite(owner)
    assert_error(accept(client, "not-the-token"), 404, "NOT_FOUND")


def test_an_invitation_expires_after_seven_days(client, owner):
    token = invite(owner)["token"]
    with time_machine.travel(datetime.now(UTC) + timedelta(days=7, minutes=1), tick=False):
        assert_error(accept(client, token), 404, "NOT_FOUND")
        login = client.post("/api/v1/auth/login", json={"email": owner.user["email"], "password": PASSWORD})
        listed = client.get("/api/v1/staff/invitations", headers=bearer(login.get_json()["access_token"]))
        assert [i["status"] for i in listed.get_json()] == ["expired"]


def test_accept_validates_its_body(client, owner):
    token = invite(owner)["token"]
    payload = assert_error(accept(client, token, password="short"), 422)
    assert list(payload["errors"]) == ["password"]
    payload = assert_error(accept(client, token, full_name=""), 422)
    assert list(payload["errors"]) == ["full_name"]
    assert accept(client, token).status_code == 201  # a refused attempt does not use it up


def test_inviting_an_existing_account_is_409(owner, other_owner):
    for email in (owner.user["email"], other_owner.user["email"].upper()):
        response = owner.post("/api/v1/staff/invitations", json={"email": email, "permissions": {}})
        assert_error(response, 409, "EMAIL_TAKEN")


def test_accepting_after_the_email_registered_elsewhere_is_409(client, owner, register):
    token = invite(owner, email="taken-later@example.com")["token"]
    register(email="taken-later@example.com")
    assert_error(accept(client, token), 409, "EMAIL_TAKEN")


def test_invitation_permissions_default_to_none(client, owner):
    response = owner.post("/api/v1/staff/invitations", json={"email": "plain@example.com"})
    assert response.status_code == 201
    user = accept(client, response.get_json()["token"]).get_json()["user"]
    assert user["permissions"] == {"inbox": False, "bookings": False, "forms": False, "inventory": False}


def test_invitation_body_is_validated(owner):
    for body, field in [
        ({"email": "nope"}, "email"),
        ({"email": "a@example.com", "permissions": {"admin": True}}, "permissions"),
        ({"email": "a@example.com", "full_name": "x" * 121}, "full_name"),
        ({"email": "a@example.com", "permissions": {"inbox": "maybe"}}, "permissions"),
    ]:
        payload = assert_error(owner.post("/api/v1/staff/invitations", json=body), 422)
        assert list(payload["errors"]) == [field]


def test_concurrent_accepts_of_one_invitation_make_one_user(app, owner):
    token = invite(owner, email="once@example.com")["token"]
    barrier = threading.Barrier(5)
    results = []

    def run(i):
        client = app.test_client()
        barrier.wait()
        response = accept(client, token, full_name=f"Racer {i}")
        results.append((response.status_code, response.get_json().get("error_code")))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results, key=str) == sorted([(201, None)] + [(404, "NOT_FOUND")] * 4, key=str), results
    staff = [u for u in owner.get("/api/v1/staff").get_json() if u["email"] == "once@example.com"]
    assert len(staff) == 1
