"""Messages from CareOps itself to a person who is not a contact (staff invitations).

They go through the workspace's email providers like any other message
(queued, retried, alerted on failure), without a conversation. The inbox owns
the queue of messages: it registers how a system email is queued
(:func:`queue_system_emails_with`, from ``careops.inbox.receivers``), so
messaging imports no domain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app

log = logging.getLogger(__name__)

#: ``queue(workspace_id, *, to, subject, body, purpose)``: adds the message, not committed.
_queue: Callable[..., object] | None = None


def queue_system_emails_with(queue: Callable[..., object]) -> None:
    global _queue
    _queue = queue


def public_url(path: str) -> str:
    return current_app.config["CAREOPS_PUBLIC_URL"].rstrip("/") + path


def send_system_email(workspace_id: str, *, to: str, subject: str, text: str, purpose: str) -> bool:
    """Queue an email through the provider chain; True when queued. Commits; a failure is logged, never raised.

    ``purpose`` (e.g. ``invitation:<id>``) keys the email: one purpose is sent once.
    """
    from careops.extensions import db

    try:
        if _queue is None:
            raise RuntimeError("no domain queues system emails (careops.inbox is not loaded)")
        _queue(workspace_id, to=to, subject=subject, body=text, purpose=purpose)
        db.session.commit()
        return True
    except Exception:  # noqa: BLE001 - an email must never break the request that caused it
        db.session.rollback()
        log.exception("system email %s to %s could not be queued", purpose, to)
        return False
