"""Access and refresh tokens: refresh, expiry, garbage, the wrong kind of token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from flask_jwt_extended import create_access_token

from tests.conftest import PASSWORD, assert_error, bearer


def test_refresh_token_gives_a_new_access_token(client, owner):
    response = client.post("/api/v1/auth/refresh", headers=bearer(owner.refresh_token))
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"access_token"} and data["access_token"] != owner.access_token
    assert client.get("/api/v1/auth/me", headers=bearer(data["access_token"])).get_json() == owner.user


def test_access_token_cannot_refresh(client, owner):
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(owner.access_token)), 401, "UNAUTHORIZED")


def test_refresh_token_is_not_an_access_token(client, owner):
    assert_error(client.get("/api/v1/auth/me", headers=bearer(owner.refresh_token)), 401, "UNAUTHORIZED")
    assert_error(client.get("/api/v1/workspace", headers=bearer(owner.refresh_token)), 401, "UNAUTHORIZED")


def test_garbage_and_forged_tokens_are_401(app, client, owner):
    header, payload, signature = owner.access_token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    for token in ("garbage", "a.b.c", forged, ""):
        assert_error(client.get("/api/v1/auth/me", headers=bearer(token)), 401, "UNAUTHORIZED")
    other_key = app.config["JWT_SECRET_KEY"]
    app.config["JWT_SECRET_KEY"] = "another-secret-key-that-is-long-enough-too"
    with app.app_context():
        foreign = create_access_token(identity=owner.user["id"])
    app.config["JWT_SECRET_KEY"] = other_key
    assert_error(client.get("/api/v1/auth/me", headers=bearer(foreign)), 401, "UNAUTHORIZED")


def test_token_of_a_user_that_no_longer_exists_is_401(app, client):
    with app.app_context():
        token = create_access_token(identity="00000000-0000-0000-0000-000000000000")
    assert_error(client.get("/api/v1/auth/me", headers=bearer(token)), 401, "UNAUTHORIZED")


def test_access_token_expires_after_its_lifetime(client, owner):
    now = datetime.now(UTC)
    with time_machine.travel(now + timedelta(minutes=14), tick=False):
        assert owner.get("/api/v1/auth/me").status_code == 200
    with time_machine.travel(now + timedelta(minutes=16), tick=False):
        assert_error(owner.get("/api/v1/auth/me"), 401, "TOKEN_EXPIRED")
        refreshed = client.post("/api/v1/auth/refresh", headers=bearer(owner.refresh_token))
        assert refreshed.status_code == 200
        assert client.get("/api/v1/auth/me", headers=bearer(refreshed.get_json()["access_token"])).status_code == 200


def test_refresh_token_expires_after_its_lifetime(client, owner):
    with time_machine.travel(datetime.now(UTC) + timedelta(days=14, minutes=1), tick=False):
        assert_error(client.post("/api/v1/auth/refresh", headers=bearer(owner.refresh_token)), 401, "TOKEN_EXPIRED")
        # The password still works: only the session ended.
        assert (
            client.post("/api/v1/auth/login", json={"email": owner.user["email"], "password": PASSWORD}).status_code
            == 200
        )
