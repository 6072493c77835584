"""Login, register and accept-invitation are rate limited per client address."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error


@pytest.fixture
def config_overrides():
    return {"CAREOPS_RATELIMIT_ENABLED": True, "CAREOPS_RATELIMIT_LOGIN": "3/minute"}


def test_fourth_login_in_a_minute_is_429(client):
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    for _ in range(3):
        assert_error(client.post("/api/v1/auth/login", json=body), 401, "UNAUTHORIZED")
    response = client.post("/api/v1/auth/login", json=body, headers={"X-Request-ID": "limited-1"})
    payload = assert_error(response, 429, "RATE_LIMITED")
    assert payload["request_id"] == "limited-1"
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_limits_are_per_client_address(client):
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    for _ in range(3):
        client.post("/api/v1/auth/login", json=body)
    assert client.post("/api/v1/auth/login", json=body).status_code == 429
    other = client.post("/api/v1/auth/login", json=body, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/auth/accept-invitation"])
def test_register_and_accept_invitation_are_limited(client, path):
    statuses = [client.post(path, json={}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_authenticated_endpoints_are_not_limited(client, owner):
    assert all(owner.get("/api/v1/auth/me").status_code == 200 for _ in range(6))


@pytest.mark.usefixtures("_schema")
def test_redis_down_limits_in_memory_instead_of_failing(make_app):
    app = make_app(
        CAREOPS_RATELIMIT_ENABLED=True, CAREOPS_RATELIMIT_LOGIN="3/minute", CAREOPS_REDIS_URL="redis://127.0.0.1:1/0"
    )
    client = app.test_client()
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    statuses = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
