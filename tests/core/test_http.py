"""HTTP plumbing: client addresses behind proxies, CORS, documented rate limits."""

from __future__ import annotations

import pytest

LIMITED = {"CAREOPS_RATELIMIT_ENABLED": True, "CAREOPS_RATELIMIT_LOGIN": "2/minute"}
BODY = {"email": "nobody@example.com", "password": "wrong-password"}


def login_from(client, forwarded_for):
    return client.post("/api/v1/auth/login", json=BODY, headers={"X-Forwarded-For": forwarded_for}).status_code


@pytest.mark.parametrize("config_overrides", [{**LIMITED, "CAREOPS_TRUSTED_PROXIES": 1}])
def test_behind_a_proxy_each_client_has_its_own_limit(client, config_overrides):
    assert [login_from(client, "203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert login_from(client, "203.0.113.2") == 401
    # Only the hop the proxy added is trusted: a client cannot pick its address.
    assert login_from(client, "198.51.100.9, 203.0.113.1") == 429


@pytest.mark.parametrize("config_overrides", [LIMITED])
def test_without_a_proxy_forwarded_for_is_ignored(client, config_overrides):
    assert [login_from(client, f"203.0.113.{i}") for i in range(3)] == [401, 401, 429]


def test_cors_is_off_by_default(client):
    response = client.get("/healthz", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_the_configured_origins_and_exposes_our_headers(make_app):
    client = make_app(CAREOPS_CORS_ORIGINS="https://app.example, https://admin.example").test_client()
    response = client.get("/healthz", headers={"Origin": "https://admin.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://admin.example"
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-Pagination", "X-Request-ID", "Retry-After"} <= exposed
    preflight = client.options(
        "/api/v1/contacts",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_rate_limited_operations_document_429(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    limited = [path for path in spec["paths"] if path.startswith("/api/v1/public")] + [
        "/api/v1/auth/login",
        "/api/v1/auth/register",
        "/api/v1/auth/accept-invitation",
    ]
    for path in limited:
        for method, operation in spec["paths"][path].items():
            if method != "parameters":
                assert "429" in operation["responses"], (method, path)


def test_pagination_header_is_flask_smorests_to_the_byte():
    """Our X-Pagination builder (no per-request schema) answers exactly what flask-smorest's does."""
    import itertools
    import json

    from flask_smorest import Blueprint as SmorestBlueprint

    from careops.http import Blueprint

    for total, size, page in itertools.product(range(45), (1, 3, 20, 100), (1, 2, 3, 5, 50)):
        theirs = SmorestBlueprint._make_pagination_metadata(page, size, total)
        assert json.dumps(Blueprint._make_pagination_metadata(page, size, total)) == json.dumps(theirs)
