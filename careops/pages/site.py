"""The ``site`` blueprint shared by every page: headers, errors as pages, rendering helpers.

Every answer of a page carries the security headers (a Content-Security-Policy
that allows no inline script or style: the workspace's accent colour is its own
small stylesheet, ``/{slug}/accent.css``). An error raised by a service becomes a page
in words — or, for a client that does not ask for HTML (an API client probing
``/{anything}``), the JSON error body of API.md.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from werkzeug.exceptions import HTTPException

from careops import errors
from careops.errors import AppError
from careops.pages import csrf

site = Blueprint(
    "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/static/pages"
)

#: Pages whose address holds a secret token: never indexed, never cached.
PRIVATE_ENDPOINTS = ("manage", "form", "invitation")


#: No inline script or style at all: the workspace's accent colour is a stylesheet of its own.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # A workspace logo is any https image; a drawn signature is shown as a data: URL.
        "img-src 'self' https: data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def remember_workspace(workspace) -> None:
    """The workspace a page belongs to, so that even its error page can show its name."""
    request.environ["careops.page_workspace"] = workspace


def _page_workspace():
    return request.environ.get("careops.page_workspace")


def is_private() -> bool:
    endpoint = (request.endpoint or "").removeprefix("pages.")
    return any(endpoint.startswith(name) for name in PRIVATE_ENDPOINTS)


@site.after_request
def security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    # Tokens travel in these paths: no other site (a logo's host included) may see them.
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if is_private():
        headers["X-Robots-Tag"] = "noindex, nofollow"
        headers["Cache-Control"] = "no-store"
    return csrf.set_cookie(response)


@site.app_template_global()
def csrf_field_token() -> str:
    return csrf.csrf_token()


def render(template: str, status: int = 200, **context):
    context.setdefault("noindex", is_private())
    return render_template(f"pages/{template}", **context), status


def wants_html() -> bool:
    return request.method == "POST" or request.accept_mimetypes.accept_html


def _error_page(status: int, title: str, detail: str, workspace=None, headers=None):
    body, status = render("error.html", status, title=title, detail=detail, workspace=workspace)
    return body, status, headers or {}


#: What a person is told, per error code, where the service's own words are not for them.
WORDS = {
    "NOT_FOUND": (
        "Page not found",
        "This link does not lead anywhere. Check the address, or ask the business for a new link.",
    ),
    "WORKSPACE_NOT_ACTIVE": (
        "Not taking bookings yet",
        "This business does not take bookings online yet. Please try again later.",
    ),
    "RATE_LIMITED": ("Too many requests", "Too many requests from your connection. Wait a minute and try again."),
}


@site.errorhandler(AppError)
def app_error(error: AppError):
    errors.discard_uncommitted()
    if not wants_html():
        return errors.handle_app_error(error)
    title, detail = WORDS.get(error.error_code, ("Something went wrong", error.detail))
    return _error_page(error.status, title, detail, _page_workspace(), error.headers)


@site.errorhandler(HTTPException)
def http_error(error: HTTPException):
    if not wants_html():
        return errors.handle_http_exception(error)
    errors.discard_uncommitted()
    code = errors.STATUS_CODES.get(error.code or 500, "BAD_REQUEST")
    title, detail = WORDS.get(code, (error.name, "This request could not be handled."))
    headers = {}
    if error.code == 429:
        headers["Retry-After"] = "60"
    return _error_page(error.code or 500, title, detail, _page_workspace(), headers)


# --- time, in the workspace's zone -----------------------------------------------------------------


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def hhmm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def long_day(day) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_day(day) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def on_accent(color: str) -> str:
    """Black or white, whichever reads better on the workspace's accent colour (WCAG contrast)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g_, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g_) + 0.0722 * linear(b)
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def zone_label(timezone: str, at: datetime | None = None) -> str:
    """``Europe/Paris time, CEST``: the zone every time on the page is written in."""
    from careops.db import utcnow

    abbreviation = (at or utcnow()).astimezone(ZoneInfo(timezone)).tzname()
    return f"{timezone} time, {abbreviation}" if abbreviation and abbreviation != timezone else f"{timezone} time"


site.add_app_template_filter(hhmm, "hhmm")
STATUS_WORDS = {
    "pending": "Waiting for confirmation",
    "confirmed": "Confirmed",
    "cancelled": "Cancelled",
    "completed": "Completed",
    "no_show": "Missed",
}
site.add_app_template_global(ZoneInfo, "zone_info")
site.add_app_template_global(STATUS_WORDS, "STATUS_WORDS")
site.add_app_template_filter(long_day, "long_day")
site.add_app_template_filter(short_day, "short_day")
site.add_app_template_filter(on_accent, "on_accent")
