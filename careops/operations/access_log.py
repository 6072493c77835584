"""One access line per request: what was asked, by whom, how it ended, how long it took.

The path (bound by :mod:`careops.http`) is the route's template (``/api/v1/public/bookings/<manage_token>``),
never the path as sent: manage, form and invitation tokens travel in paths and
must not reach the logs; the query string is left out for the same reason.
The line carries the request id (bound by :mod:`careops.http`), so it joins
the request's other lines and the worker's lines for the tasks it caused.
"""

from __future__ import annotations

import time

import structlog
from flask import g, request

log = structlog.get_logger("careops.access")


def init_app(app) -> None:
    @app.before_request
    def start_clock():
        g._access_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.pop("_access_started", None)
        # method, path (the route template) and request id come bound from careops.http.
        log.info(
            "request",
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2) if started else None,
            workspace_id=_workspace_id(),
            user_id=g.get("user_id"),
            remote_addr=request.remote_addr,
        )
        return response


def _workspace_id() -> str | None:
    workspace_id = g.get("workspace_id")
    if workspace_id:
        return workspace_id
    public = g.get("public_workspace")
    return getattr(public, "id", None)
