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
from typing import ClassVar

import structlog
from flask import g, request
from flask_smorest import Blueprint as _Blueprint
from werkzeug.middleware.proxy_fix import ProxyFix

from careops import parsing, scoping
from careops.errors import ErrorSchema
from careops.security import authorize

parsing.install()  # also for blueprints declared before the extensions are imported

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON",
    401: "Missing, invalid, expired or revoked token",
    403: "Role or staff permission does not allow it",
    404: "Not found in your workspace",
    409: "Conflict with the current state",
    422: "Validation failed",
    429: "Rate limited",
    503: "A dependency is unavailable",
}


class Blueprint(_Blueprint):
    #: API.md: ``page_size`` defaults to 20, at most 100 (flask-smorest's own default is 10).
    DEFAULT_PAGINATION_PARAMETERS: ClassVar[dict[str, int]] = {"page": 1, "page_size": 20, "max_page_size": 100}

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict:
        """API.md's ``X-Pagination``: flask-smorest's fields, in its order, without its per-request schema.

        flask-smorest built the dict, then dumped it through a new ``PaginationMetadataSchema``
        (deep-copying its fields) on every page; the values are plain integers already.
        """
        pages = -(-item_count // page_size)  # ceil
        metadata = {"total": item_count, "total_pages": pages}
        if item_count:
            metadata.update(first_page=1, last_page=pages)
            if page <= pages:
                metadata["page"] = page
                if page > 1:
                    metadata["previous_page"] = page - 1
                if page < pages:
                    metadata["next_page"] = page + 1
        return metadata

    def errors(self, *statuses: int):
        def decorator(fn):
            for status in statuses:
                fn = self.alt_response(status, schema=ErrorSchema, description=ERROR_DESCRIPTIONS.get(status))(fn)
            return fn

        return decorator

    def protected(
        self, *, owner: bool = False, permission: str | None = None, refresh: bool = False, any_token: bool = False
    ):
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
    def clear_tenant_scope():
        # First of all: nothing a request reads is scoped until its authorisation (or its
        # public lookup) binds a workspace; a scope left by the caller's thread never leaks in.
        g.careops_scope_token = scoping.clear()

    @app.teardown_request
    def restore_tenant_scope(_exc):
        token = g.pop("careops_scope_token", None)
        if token is not None:
            try:
                scoping.reset(token)
            except ValueError:  # torn down in another context (a streamed answer): leave nothing bound
                scoping.clear()

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        # Echo a caller's id only when it is sane: it ends up in logs and headers.
        g.request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        # The route's template, not the path sent: tokens travel in paths and must not reach the logs.
        structlog.contextvars.bind_contextvars(
            request_id=g.request_id,
            method=request.method,
            path=request.url_rule.rule if request.url_rule else "unmatched",
        )

    # After the request id is assigned: the refusals carry it.
    parsing.init_app(app)
    refuse_shadowed_methods(app)  # every blueprint is registered by now (create_app's order)

    @app.teardown_request
    def forget_request_id(_exc):
        # Lines logged after the request (by the worker thread, say) must not carry its id.
        structlog.contextvars.clear_contextvars()

    def retry_after_only_on_429(response):
        # Flask-Limiter sets Retry-After on every answer of a limited endpoint; it means "wait" only on
        # 429, and on the 503s that set it themselves (a dependency down, the calendar busy).
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    # Flask runs after_request hooks last-registered first: at the front, this one runs after
    # Flask-Limiter's (registered by limiter.init_app, before this).
    app.after_request_funcs.setdefault(None, []).insert(0, retry_after_only_on_429)

    @app.after_request
    def send_request_id(response):
        rid = getattr(g, "request_id", None)
        if rid:
            response.headers["X-Request-ID"] = rid
        return response


def refuse_shadowed_methods(app) -> None:
    """Answer 405 (with the right ``Allow``) where a static path is shadowed by a ``/<id>`` route.

    ``PATCH /staff/invitations`` would otherwise reach ``PATCH /staff/<user_id>``
    with the id ``invitations`` (404), and a 405 there would list that route's
    methods too. Run once every blueprint is registered.
    """
    from werkzeug.exceptions import MethodNotAllowed

    adapter = app.url_map.bind("localhost")
    shadowed: dict[str, str] = {}  # path → its Allow header
    static: dict[str, list] = {}
    for rule in app.url_map.iter_rules():
        if not rule.arguments:
            static.setdefault(rule.rule, []).append(rule)
    for path, rules in static.items():
        allowed = sorted(set().union(*(r.methods or () for r in rules)))
        own = {r.endpoint for r in rules}
        stolen = []
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if method in allowed:
                continue
            try:
                endpoint, _ = adapter.match(path, method=method)
            except Exception:  # noqa: BLE001 - 404, 405, redirects: nothing shadows this path
                continue
            if endpoint not in own:
                stolen.append(method)
        if stolen:
            shadowed[path] = ", ".join([*allowed, "OPTIONS"] if "OPTIONS" not in allowed else allowed)

            def not_allowed(*_args, _allowed=tuple(allowed), **_kwargs):
                raise MethodNotAllowed(valid_methods=list(_allowed))

            # Every other method too: werkzeug's own 405 would list this rule's methods.
            refused = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in allowed]
            app.add_url_rule(
                path,
                endpoint=f"{rules[0].endpoint}.__not_allowed",
                view_func=not_allowed,
                methods=refused,
                provide_automatic_options=False,
            )

    @app.after_request
    def allow_of_shadowed_paths(response):
        # Flask's automatic OPTIONS answer lists every rule that matches the path, the /<id> ones too.
        from flask import request

        if request.method == "OPTIONS" and request.path in shadowed:
            response.headers["Allow"] = shadowed[request.path]
        return response


def public_rate_limit(fn):
    """Limit a public endpoint per client address (``CAREOPS_RATELIMIT_PUBLIC``).

    The view documents the answer with ``@blp.errors(429)``.
    """
    from flask import current_app

    from careops.extensions import limiter

    limited = limiter.limit(lambda: current_app.config["CAREOPS_RATELIMIT_PUBLIC"])(fn)
    return limited


def limits_checked_by_their_views(app, limiter) -> None:
    """Drop flask-limiter's per-request check when every limit of the app is declared on a view.

    flask-limiter checks a request twice: a ``before_request`` hook for the
    application-wide, default and blueprint limits, and the ``@limiter.limit``
    wrapper of a decorated view for its own. CareOps declares each limit on its
    view (:func:`public_rate_limit`, the login views), so the hook found nothing
    on every request, for 15 % of the cheapest request's time. Kept when any
    such limit exists (a plugin may declare one), so none is ever ignored.
    """
    manager = limiter.limit_manager
    if manager.application_limits or manager.default_limits or any(manager._blueprint_limits.values()):
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
