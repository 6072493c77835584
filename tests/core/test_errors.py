"""The error contract of API.md: one body for every error, request ids, no stack traces."""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime

import pytest

from tests.conftest import assert_error

ERROR_KEYS = {"detail", "error_code", "timestamp", "request_id"}


def test_unknown_path_is_404_with_the_error_body(client):
    payload = assert_error(client.get("/api/v1/no-such-thing"), 404, "NOT_FOUND")
    assert set(payload) == ERROR_KEYS
    assert datetime.strptime(payload["timestamp"], "%Y-%m-%dT%H:%M:%SZ")


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/v1/auth/login")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_400_bad_request(client):
    response = client.post("/api/v1/auth/login", data='{"email": ', content_type="application/json")
    payload = assert_error(response, 400, "BAD_REQUEST")
    assert "JSON" in payload["detail"]


def test_unknown_field_is_422_naming_it(client):
    response = client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x", "admin": True})
    payload = assert_error(response, 422, "VALIDATION_ERROR")
    assert payload["errors"] == {"admin": ["Unknown field."]}


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", 12),
        ("password", ["a"]),
        ("full_name", {"a": 1}),
        ("workspace_name", None),
        ("timezone", 3.5),
    ],
)
def test_wrong_types_are_422_naming_the_field(client, field, value):
    body = {
        "email": "types@example.com",
        "password": "long-enough-pw",
        "full_name": "T",
        "workspace_name": "Types",
        field: value,
    }
    payload = assert_error(client.post("/api/v1/auth/register", json=body), 422, "VALIDATION_ERROR")
    assert list(payload["errors"]) == [field]


def test_a_json_array_body_is_422_not_500(client):
    assert_error(client.post("/api/v1/auth/login", json=[1, 2]), 422, "VALIDATION_ERROR")


def test_overlong_string_is_422(client):
    body = {"email": "long@example.com", "password": "long-enough-pw", "full_name": "x" * 121, "workspace_name": "Long"}
    payload = assert_error(client.post("/api/v1/auth/register", json=body), 422)
    assert list(payload["errors"]) == ["full_name"]


def test_huge_body_is_413_with_the_error_body(client):
    response = client.post(
        "/api/v1/auth/login", data=b'{"email": "' + b"a" * 3_000_000 + b'"}', content_type="application/json"
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_500_has_no_stack_trace(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("the secret internals of boom()")

    response = client.get("/boom")
    payload = assert_error(response, 500, "INTERNAL_ERROR")
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "secret internals" not in text and "boom" not in text
    assert payload["detail"] == "Internal server error"


def test_request_id_is_echoed(client):
    response = client.get("/api/v1/nowhere", headers={"X-Request-ID": "req-12345"})
    assert response.headers["X-Request-ID"] == "req-12345"
    assert response.get_json()["request_id"] == "req-12345"


def test_request_id_is_generated_when_absent_or_unusable(client):
    first = client.get("/api/v1/nowhere")
    second = client.get("/api/v1/nowhere", headers={"X-Request-ID": "x" * 500})
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert ids[0] != ids[1]
    assert first.get_json()["request_id"] == ids[0]


def test_request_id_is_on_successful_responses(client):
    response = client.get("/healthz", headers={"X-Request-ID": "ok-1"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "ok-1"


@pytest.fixture
def log_lines():
    """Every log line, formatted by CareOps' own formatter (as production writes it)."""
    root = logging.getLogger()
    formatter = next(
        h.formatter for h in root.handlers if h.formatter is not None and "structlog" in type(h.formatter).__module__
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    yield lambda: stream.getvalue().splitlines()
    root.removeHandler(handler)


def test_log_lines_of_a_request_carry_its_request_id(app, client, log_lines):
    @app.get("/boom")
    def boom():
        logging.getLogger("careops.test").warning("about to fail")
        raise RuntimeError("boom")

    client.get("/boom", headers={"X-Request-ID": "trace-me-42"})
    lines = [line for line in log_lines() if "about to fail" in line or "unhandled error" in line]
    assert len(lines) == 2, log_lines()
    assert all("trace-me-42" in line for line in lines)


def test_log_lines_after_a_request_do_not_carry_its_id(app, client, log_lines):
    client.get("/healthz", headers={"X-Request-ID": "stale-id-7"})
    logging.getLogger("careops.test").warning("outside any request")
    line = next(line for line in log_lines() if "outside any request" in line)
    assert "stale-id-7" not in line


def test_unauthorised_requests_have_the_error_body(client):
    assert_error(client.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
    assert_error(client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-jwt"}), 401, "UNAUTHORIZED")
    assert_error(client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED")
