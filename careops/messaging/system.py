"""Messages from CareOps itself to a person who is not a contact (staff invitations)."""
from __future__ import annotations

import logging

from flask import current_app

from careops.messaging.base import OutboundMessage
from careops.plugins import collect, hook

log = logging.getLogger(__name__)


def public_url(path: str) -> str:
    return current_app.config["CAREOPS_PUBLIC_URL"].rstrip("/") + path


def send_system_email(workspace_id: str, *, to: str, subject: str, text: str, purpose: str) -> bool:
    """Send an email through the console provider; a failure is logged, never raised.

    The messaging layer's provider chain replaces this when it lands.
    """
    providers = {p.name: p for p in collect(hook().careops_communication_providers())}
    provider = providers.get("console")
    try:
        provider().send(OutboundMessage(channel="email", to=to, subject=subject, body=text))
        return True
    except Exception:  # noqa: BLE001 - an email must never break the request that caused it
        log.exception("system email %s to %s failed", purpose, to)
        return False
