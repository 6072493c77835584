"""The workspace behind a public URL, resolved before anything else looks at the request.

``@active_workspace`` goes right under ``@blp.route`` (and ``@public_rate_limit``)
on a view with a ``<slug>`` in its path: an unknown slug is 404 and a workspace
in setup is 409 ``WORKSPACE_NOT_ACTIVE`` *before* the body is validated (422)
or an ``Idempotency-Key`` is claimed. The view reads it with :func:`public_workspace`.
"""

from __future__ import annotations

from functools import wraps

from flask import g

from careops.workspaces.service import get_active_by_slug


def active_workspace(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        g.public_workspace = get_active_by_slug(kwargs["slug"])
        return fn(*args, **kwargs)

    return wrapper


def public_workspace():
    """The :class:`~careops.workspaces.models.Workspace` resolved by ``@active_workspace``."""
    return g.public_workspace
