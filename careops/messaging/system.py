"""Messages from CareOps itself to a person who is not a contact (staff invitations).

They go through the workspace's email providers like any other message
(queued, retried, alerted on failure), without a conversation.
"""
from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)


def public_url(path: str) -> str:
    return current_app.config["CAREOPS_PUBLIC_URL"].rstrip("/") + path


def send_system_email(workspace_id: str, *, to: str, subject: str, text: str, purpose: str) -> bool:
    """Queue an email through the provider chain; True when queued. Commits; a failure is logged, never raised.

    ``purpose`` (e.g. ``invitation:<id>``) keys the email: one purpose is sent once.
    """
    from careops.extensions import db
    from careops.inbox.sending import send_system_message

    try:
        send_system_message(workspace_id, to=to, subject=subject, body=text, purpose=purpose)
        db.session.commit()
        return True
    except Exception:  # noqa: BLE001 - an email must never break the request that caused it
        db.session.rollback()
        log.exception("system email %s to %s could not be queued", purpose, to)
        return False
