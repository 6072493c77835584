"""Verified bearer tokens are remembered per process (careops.token_cache), and nothing else is.

The signature of a token is checked once; its expiry on every use; its
revocation and its user's row on every request, so a logout, a deactivation
or a permission change still takes effect at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from flask_jwt_extended import create_access_token

from careops.extensions import jwt
from tests.conftest import assert_error, bearer


def remembered(token: str) -> bool:
    return any(key[0] == token for key in jwt._verified)


def test_an_accepted_token_is_remembered_and_a_refused_one_is_not(client, owner):
    assert owner.get("/api/v1/auth/me").status_code == 200
    assert remembered(owner.access_token)
    header, payload, signature = owner.access_token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    for _ in range(2):  # refused the second time too: a refusal is never remembered
        assert_error(client.get("/api/v1/auth/me", headers=bearer(forged)), 401, "UNAUTHORIZED")
    assert not remembered(forged)


def test_a_remembered_token_still_expires(owner):
    assert owner.get("/api/v1/auth/me").status_code == 200
    assert remembered(owner.access_token)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=False):
        assert_error(owner.get("/api/v1/auth/me"), 401, "TOKEN_EXPIRED")
    assert not remembered(owner.access_token)


def test_a_remembered_token_is_still_revoked_by_logout(client, owner):
    assert owner.get("/api/v1/workspace").status_code == 200
    assert client.post("/api/v1/auth/logout", headers=owner.headers).status_code == 204
    assert_error(owner.get("/api/v1/workspace"), 401, "TOKEN_REVOKED")


def test_a_remembered_token_follows_its_users_row(owner, make_staff):
    staff = make_staff(owner, bookings=True)
    assert staff.get("/api/v1/bookings").status_code == 200
    assert (
        owner.patch(f"/api/v1/staff/{staff.user['id']}", json={"permissions": {"bookings": False}}).status_code == 200
    )
    assert_error(staff.get("/api/v1/bookings"), 403, "FORBIDDEN")
    assert owner.patch(f"/api/v1/staff/{staff.user['id']}", json={"is_active": False}).status_code == 200
    assert_error(staff.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")


def test_a_new_secret_verifies_afresh(app, client, owner):
    """A token remembered under one key is refused once the key changes (a rotated secret)."""
    assert owner.get("/api/v1/auth/me").status_code == 200
    old = app.config["JWT_SECRET_KEY"]
    app.config["JWT_SECRET_KEY"] = "a-rotated-secret-key-long-enough-for-hs256"
    try:
        assert_error(owner.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
        with app.app_context():
            fresh = create_access_token(identity=owner.user["id"], additional_claims={"ws": owner.workspace_id})
        assert client.get("/api/v1/auth/me", headers=bearer(fresh)).status_code == 200
    finally:
        app.config["JWT_SECRET_KEY"] = old
    assert owner.get("/api/v1/auth/me").status_code == 200
