"""Who may open a workspace through ``POST /auth/register`` (``CAREOPS_REGISTRATION``).

``open``: anyone (the development default). ``invite``: whoever gives the
operator's ``CAREOPS_REGISTRATION_CODE`` (a hosting business handing out
sign-ups). ``closed``: nobody (the production default): the first owner comes
from ``flask careops create-owner`` and staff join through invitations, which
this setting never affects.
"""

from __future__ import annotations

import hmac

from flask import current_app

from careops.errors import Forbidden


def check_allowed(invite_code: str | None) -> None:
    """Raise 403 ``REGISTRATION_CLOSED`` unless this install lets the caller register."""
    mode = current_app.config["CAREOPS_REGISTRATION"]
    if mode == "open":
        return
    if mode == "invite":
        expected = current_app.config["CAREOPS_REGISTRATION_CODE"] or ""
        if invite_code and hmac.compare_digest(invite_code.encode(), expected.encode()):
            return
        raise Forbidden("Registration needs a valid invite code", error_code="REGISTRATION_CLOSED")
    raise Forbidden(
        "Registration is closed on this server; ask its operator for an account", error_code="REGISTRATION_CLOSED"
    )
