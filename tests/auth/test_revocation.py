"""POST /auth/logout revokes the presented token, with and without Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
from flask_jwt_extended import decode_token

from careops.auth import tokens
from careops.auth.models import RevokedToken
from careops.extensions import db
from tests.conftest import TEST_REDIS_URL, assert_error, bearer


@pytest.fixture(params=["database", "redis"])
def config_overrides(request):
    """Every test here runs against the revocation table alone, then with Redis in front of it."""
    if request.param == "redis":
        if not TEST_REDIS_URL:
            pytest.skip("CAREOPS_TEST_REDIS_URL is not set")
        return {"CAREOPS_REDIS_URL": TEST_REDIS_URL}
    return {"CAREOPS_REDIS_URL": None}


def jti(app, token):
    with app.app_context():
        return decode_token(token, allow_expired=True)["jti"]


def assert_recorded(app, token):
    """The revocation is in the table, and in Redis when Redis is configured."""
    key = jti(app, token)
    with app.app_context():
        assert db.session.get(RevokedToken, key) is not None
    if app.config["CAREOPS_REDIS_URL"]:
        assert redis.Redis.from_url(app.config["CAREOPS_REDIS_URL"]).exists(f"careops:revoked:{key}") == 1


def test_logout_revokes_the_access_token(app, client, owner):
    response = client.post("/api/v1/auth/logout", headers=owner.headers)
    assert response.status_code == 204 and response.get_data() == b""
    assert_error(owner.get("/api/v1/auth/me"), 401, "TOKEN_REVOKED")
    assert_error(client.post("/api/v1/auth/logout", headers=owner.headers), 401, "TOKEN_REVOKED")
    assert_recorded(app, owner.access_token)
    # Only the presented token: the refresh token still works.
    assert client.post("/api/v1/auth/refresh", headers=bearer(owner.refresh_token)).status_code == 200


def test_logout_revokes_the_refresh_token(app, client, owner):
    assert client.post("/api/v1/auth/logout", headers=bearer(owner.refresh_token)).status_code == 204
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(owner.refresh_token)), 401, "TOKEN_REVOKED")
    assert_recorded(app, owner.refresh_token)
    assert owner.get("/api/v1/auth/me").status_code == 200


def test_logout_needs_a_token(client):
    assert_error(client.post("/api/v1/auth/logout"), 401, "UNAUTHORIZED")


def test_revocation_is_kept_until_the_token_would_have_expired(app, owner):
    key = jti(app, owner.access_token)
    owner.post("/api/v1/auth/logout")
    with app.app_context():
        row = db.session.get(RevokedToken, key)
        expires_at = row.expires_at
        assert timedelta(minutes=14) < expires_at - datetime.now(UTC) <= timedelta(minutes=15)
        assert tokens.purge_expired_revocations() == 0
        assert tokens.purge_expired_revocations(now=expires_at + timedelta(seconds=1)) == 1
        assert db.session.get(RevokedToken, key) is None
    if app.config["CAREOPS_REDIS_URL"]:
        ttl = redis.Redis.from_url(app.config["CAREOPS_REDIS_URL"]).ttl(f"careops:revoked:{key}")
        assert 14 * 60 < ttl <= 15 * 60 + 1


def test_housekeeping_republishes_revocations_to_redis(app, owner):
    if not app.config["CAREOPS_REDIS_URL"]:
        pytest.skip("Redis only")
    owner.post("/api/v1/auth/logout")
    client = redis.Redis.from_url(app.config["CAREOPS_REDIS_URL"])
    client.flushdb()  # Redis restarted empty, or the logout happened while it was down
    with app.app_context():
        tokens.purge_expired_revocations()
    assert_error(owner.get("/api/v1/auth/me"), 401, "TOKEN_REVOKED")


@pytest.mark.parametrize("config_overrides", [{"CAREOPS_REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_redis_down_falls_back_to_the_table(client, owner, config_overrides):
    """Redis on a closed port: logins, logouts and revocation checks still work."""
    other = client.post("/api/v1/auth/login", json={"email": owner.user["email"], "password": owner.password})
    assert other.status_code == 200
    assert client.post("/api/v1/auth/logout", headers=owner.headers).status_code == 204
    assert_error(owner.get("/api/v1/auth/me"), 401, "TOKEN_REVOKED")
    assert client.get("/api/v1/auth/me", headers=bearer(other.get_json()["access_token"])).status_code == 200
