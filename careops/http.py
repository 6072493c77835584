"""HTTP plumbing shared by every domain: request ids, the blueprint base.

:class:`Blueprint` adds two decorators to flask-smorest's:

- ``@blp.protected(owner=..., permission=...)`` checks the bearer token and the
  role, and documents the bearer scheme and its 401/403 answers;
- ``@blp.errors(404, 409)`` documents the other error statuses a view can return
  with the error body of API.md.
"""
from __future__ import annotations

import uuid
from functools import wraps

import structlog
from flask import g, request
from flask_smorest import Blueprint as _Blueprint
from werkzeug.middleware.proxy_fix import ProxyFix

from careops.errors import ErrorSchema
from careops.security import authorize

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON", 401: "Missing, invalid, expired or revoked token",
    403: "Role or staff permission does not allow it", 404: "Not found in your workspace",
    409: "Conflict with the current state", 422: "Validation failed",
    429: "Rate limited", 503: "A dependency is unavailable",
}


class Blueprint(_Blueprint):
    #: API.md: ``page_size`` defaults to 20, at most 100 (flask-smorest's own default is 10).
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}

    def errors(self, *statuses: int):
        def decorator(fn):
            for status in statuses:
                fn = self.alt_response(status, schema=ErrorSchema,
                                       description=ERROR_DESCRIPTIONS.get(status))(fn)
            return fn

        return decorator

    def protected(self, *, owner: bool = False, permission: str | None = None, refresh: bool = False,
                  any_token: bool = False):
        def decorator(fn):
            @wraps(fn)
            def wrapper(*args, **kwargs):
                authorize(owner=owner, permission=permission, refresh=refresh, any_token=any_token)
                return fn(*args, **kwargs)

            wrapper = self.doc(security=[{"bearerAuth": []}])(wrapper)
            statuses = (401, 403) if (owner or permission) else (401,)
            return self.errors(*statuses)(wrapper)

        return decorator


def init_app(app):
    proxies = app.config["CAREOPS_TRUSTED_PROXIES"]
    if proxies:
        # Behind a load balancer the client address (rate limits, logs) is in X-Forwarded-For;
        # trust exactly as many hops as there are proxies, or a client could choose its own address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        # Echo a caller's id only when it is sane: it ends up in logs and headers.
        g.request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id, method=request.method,
                                               path=request.path)

    @app.teardown_request
    def forget_request_id(_exc):
        # Lines logged after the request (by the worker thread, say) must not carry its id.
        structlog.contextvars.clear_contextvars()

    @app.after_request
    def send_request_id(response):
        rid = getattr(g, "request_id", None)
        if rid:
            response.headers["X-Request-ID"] = rid
        return response


def public_rate_limit(fn):
    """Limit a public endpoint per client address (``CAREOPS_RATELIMIT_PUBLIC``).

    The view documents the answer with ``@blp.errors(429)``.
    """
    from flask import current_app

    from careops.extensions import limiter

    limited = limiter.limit(lambda: current_app.config["CAREOPS_RATELIMIT_PUBLIC"])(fn)
    return limited
