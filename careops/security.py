"""Who is calling: the current user and workspace, and the role/permission guards.

Views declare their guard with ``@blp.protected(owner=True)`` or
``@blp.protected(permission="inbox")`` (see :mod:`careops.http`), which call
:func:`authorize` here. Owners hold every permission; staff hold the ones the
owner granted them.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import g
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from careops.errors import Forbidden

PERMISSIONS = ("inbox", "bookings", "forms", "inventory")


def current_user():
    """The authenticated :class:`~careops.auth.models.User` of this request."""
    from flask_jwt_extended import current_user as user

    return user._get_current_object()


def current_workspace_id() -> str:
    return current_user().workspace_id


def authorize(*, owner: bool = False, permission: str | None = None, refresh: bool = False, any_token: bool = False):
    """Check the bearer token, then the role or staff permission; raise on failure.

    ``refresh`` asks for a refresh token instead of an access token;
    ``any_token`` takes either (logout revokes whichever it is shown).
    """
    verify_jwt_in_request(refresh=refresh, verify_type=not any_token)
    user = current_user()
    g.user_id = user.id
    g.workspace_id = user.workspace_id
    if owner and user.role != "owner":
        raise Forbidden("Only the workspace owner may do this")
    if permission is not None:
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        if not user.has_permission(permission):
            raise Forbidden(f"Your account has no '{permission}' permission")
    return user


def require_owner(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        authorize(owner=True)
        return fn(*args, **kwargs)

    return wrapper


def require_permission(permission: str):
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            authorize(permission=permission)
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def token_digest(token: str) -> str:
    """What is stored of a secret link token (invitation, manage link, feed, inbound URL): its sha256.

    A database leak then reveals no usable link; the tokens are long and random,
    so no salt or slow hash is needed.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def token_jti() -> str:
    return get_jwt()["jti"]
