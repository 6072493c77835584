"""The error hierarchy and the one JSON error body of API.md.

Services raise an :class:`AppError`; every error path of the app — ours,
flask-smorest's (422), werkzeug's (404, 405, 400), flask-jwt-extended's (401),
Flask-Limiter's (429) and unhandled exceptions (500) — ends in :func:`body`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import marshmallow as ma
from flask import g, jsonify

log = logging.getLogger(__name__)


class AppError(Exception):
    status = 500
    error_code = "INTERNAL_ERROR"
    detail = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        error_code: str | None = None,
        errors: dict | None = None,
        extra: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail
        if error_code:
            self.error_code = error_code
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}


class BadRequest(AppError):
    status, error_code, detail = 400, "BAD_REQUEST", "Malformed request"


class Unauthorized(AppError):
    status, error_code, detail = 401, "UNAUTHORIZED", "Authentication required"


class Forbidden(AppError):
    status, error_code, detail = 403, "FORBIDDEN", "You are not allowed to do this"


class NotFound(AppError):
    status, error_code, detail = 404, "NOT_FOUND", "Not found"


class Conflict(AppError):
    status, error_code, detail = 409, "CONFLICT", "Conflict with the current state"


class ValidationFailed(AppError):
    """A 422 raised by a service; ``errors`` maps each field to its messages."""

    status, error_code, detail = 422, "VALIDATION_ERROR", "Validation failed"

    def __init__(self, errors: dict, detail: str | None = None):
        super().__init__(detail, errors=errors)


class RateLimited(AppError):
    status, error_code, detail = 429, "RATE_LIMITED", "Too many requests"


class IntegrationError(AppError):
    status, error_code, detail = 503, "INTEGRATION_ERROR", "An integration is unavailable"


class ServiceUnavailable(AppError):
    status, error_code, detail = 503, "SERVICE_UNAVAILABLE", "Service unavailable"


#: error_code for a werkzeug status that reached us without one of our own.
STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class ErrorSchema(ma.Schema):
    """The error body of API.md (documentation; :func:`body` builds it).

    Some errors carry more (an ``AppError``'s ``extra``): the known ones are
    listed, and the schema admits others, so a client built from the document
    does not reject an answer for a field it was not told about.
    """

    class Meta:
        unknown = ma.INCLUDE  # documented as additionalProperties: true

    detail = ma.fields.String(required=True)
    error_code = ma.fields.String(required=True)
    timestamp = ma.fields.DateTime(required=True)
    request_id = ma.fields.String(required=True)
    errors = ma.fields.Dict(keys=ma.fields.String(), metadata={"description": "422 only: messages per field"})
    missing = ma.fields.List(
        ma.fields.String(), metadata={"description": "409 ACTIVATION_INCOMPLETE: the onboarding steps still to do"}
    )
    existing_id = ma.fields.String(metadata={"description": "409 CONFLICT on a contact: the contact that has it"})
    service_names = ma.fields.List(
        ma.fields.String(), metadata={"description": "409 on deleting a resource: the active services that use it"}
    )


def body(
    status: int,
    error_code: str,
    detail: str,
    *,
    errors: dict | None = None,
    extra: dict | None = None,
    headers: dict | None = None,
):
    payload = {
        "detail": detail,
        "error_code": error_code,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request_id": getattr(g, "request_id", None) or "",
    }
    if status == 422:
        payload["errors"] = errors or {}
    if extra:
        payload.update(extra)
    response = jsonify(payload)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def discard_uncommitted() -> None:
    """Roll back what the failed request wrote but did not commit.

    Nothing half-done may reach the database through a later commit in the same
    session (an after-request hook, the next request of a test client).
    """
    from flask import current_app

    if "sqlalchemy" not in current_app.extensions:
        return
    from careops.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the database may be what failed; the answer must still go out
        log.warning("rollback after an error failed", exc_info=True)


def handle_app_error(error: AppError):
    discard_uncommitted()
    return body(
        error.status, error.error_code, error.detail, errors=error.errors, extra=error.extra, headers=error.headers
    )


def handle_http_exception(error):
    """werkzeug and flask-smorest errors (abort(), routing, webargs' 422)."""
    discard_uncommitted()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if status == 422 and errors:
        errors = flatten_locations(errors)
    detail = data.get("message") or error.description or error.name
    if status == 400 and ("JSON" in str(detail) or "json" in (errors or {})):
        # webargs reports an unparseable body as {"json": ["Invalid JSON body."]}.
        detail = "The request body is not valid JSON"
        errors = None
    if status == 500:
        detail = "Internal server error"
    if status == 422:
        detail = "Validation failed"
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return body(
        status, STATUS_CODES.get(status, error.name.upper().replace(" ", "_")), detail, errors=errors, headers=headers
    )


def flatten_locations(messages: dict) -> dict:
    """webargs nests messages by location (``{"json": {...}}``); the contract names fields."""
    flat = {}
    for location, fields in messages.items():
        if location in ("json", "query", "querystring", "headers", "form", "files", "view_args") and isinstance(
            fields, dict
        ):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def handle_unexpected(error: Exception):
    # Flask calls this outside the `except`, so the traceback is passed explicitly.
    log.error("unhandled error", exc_info=error)
    discard_uncommitted()
    return body(500, "INTERNAL_ERROR", "Internal server error")


def init_app(app):
    from werkzeug.exceptions import HTTPException

    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
