"""CSRF protection of the pages' form posts: a signed token bound to a cookie.

The browser holds a random nonce in an HttpOnly, SameSite=Lax cookie; every
form carries that nonce signed with the app's secret (itsdangerous, timed).
A post is accepted only when the signature is valid, fresh and made for the
nonce in the cookie: another site can neither read the cookie nor forge the
signature, and a token copied from someone else's page does not match the
visitor's own cookie.
"""

from __future__ import annotations

import hmac
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from careops.errors import AppError

COOKIE = "careops_csrf"
FIELD = "csrf_token"
#: A form left open this long must be reloaded before it is sent.
MAX_AGE_SECONDS = 6 * 3600


class CsrfRefused(AppError):
    status, error_code = 400, "CSRF_FAILED"
    detail = "This form has expired or did not come from this site. Reload the page and try again."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="careops.pages.csrf")


#: Kept per request in the WSGI environ, not on ``g``: an app context may outlive one request.
_NONCE, _NEW = "careops.csrf_nonce", "careops.csrf_new"


def _nonce() -> str:
    env = request.environ
    if _NONCE not in env:
        cookie = request.cookies.get(COOKIE, "")
        if 16 <= len(cookie) <= 64:
            env[_NONCE] = cookie
        else:
            env[_NONCE], env[_NEW] = secrets.token_urlsafe(24), True
    return env[_NONCE]


def csrf_token() -> str:
    """The token to put in a form's hidden ``csrf_token`` field (a Jinja global)."""
    return _serializer().dumps(_nonce())


def check() -> None:
    """Refuse (400) a post whose token is missing, stale, forged or not this browser's."""
    cookie = request.cookies.get(COOKIE, "")
    try:
        signed = _serializer().loads(request.form.get(FIELD, ""), max_age=MAX_AGE_SECONDS)
    except BadSignature:
        raise CsrfRefused() from None
    if not cookie or not isinstance(signed, str) or not hmac.compare_digest(signed, cookie):
        raise CsrfRefused()


def set_cookie(response):
    """Give a new visitor their nonce cookie (after a page that rendered a form)."""
    if request.environ.get(_NEW):
        response.set_cookie(
            COOKIE, request.environ[_NONCE], httponly=True, samesite="Lax", secure=request.is_secure, path="/"
        )
    return response
