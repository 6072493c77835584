"""Inbound messages and delivery reports posted by providers to ``/public/inbound/<provider>?token=…``.

The token in the URL names the integration — hence the workspace — the post
is for (each communication integration gets its own, shown to the owner as
``inbound_url`` in ``GET /integrations``). The provider plugin then verifies
the request (its signature) with that integration's configuration and parses
it. An unknown token or an unverifiable request is answered 401 and nothing
is stored. A message from an unknown sender creates the contact.
"""
from __future__ import annotations

import logging

import marshmallow as ma
import sqlalchemy as sa

from careops.contacts.service import find_or_create
from careops.db import WorkspaceRepository, utcnow
from careops.errors import Unauthorized, ValidationFailed
from careops.extensions import db
from careops.fields import normalize_email
from careops.inbox.delivery import fail
from careops.inbox.models import Message
from careops.inbox.service import append_inbound
from careops.integrations.service import build_provider, find_by_inbound_token
from careops.messaging.base import CHANNELS, ProviderError

log = logging.getLogger(__name__)
SOURCE = "inbound"


def receive(provider_name: str, request) -> dict:
    """Verify, parse and store one inbound post; ``{"ok": True}``. Commits."""
    row = find_by_inbound_token(provider_name, request.args.get("token"))
    if row is None:
        raise Unauthorized("Unknown inbound token")
    try:
        parsed = build_provider(row).verify_inbound(request)
    except ProviderError as exc:
        log.warning("inbound for integration %s cannot be verified: %s", row.id, exc)
        parsed = None
    except Exception:  # noqa: BLE001 - a plugin bug must not turn into a 500 that the provider retries forever
        log.exception("provider %s failed to verify an inbound request", provider_name)
        parsed = None
    if not isinstance(parsed, dict):
        raise Unauthorized("The request could not be verified")
    workspace_id, provider = row.workspace_id, row.provider
    if parsed.get("event") == "delivery":
        _delivery_report(workspace_id, provider, parsed)
    else:
        _message(workspace_id, provider, parsed)
    db.session.commit()
    return {"ok": True}


def _message(workspace_id: str, provider: str, parsed: dict) -> None:
    channel, sender, body = parsed.get("channel"), parsed.get("from"), parsed.get("body")
    errors = {}
    if channel not in CHANNELS:
        errors["channel"] = [f"Must be one of {', '.join(CHANNELS)}."]
    if not isinstance(sender, str) or not sender.strip():
        errors["from"] = ["Missing sender."]
    if not isinstance(body, str):
        errors["body"] = ["Missing body."]
    if errors:
        raise ValidationFailed(errors)
    sender = sender.strip()
    if channel == "email":
        try:
            sender = normalize_email(sender)
        except ma.ValidationError as exc:
            raise ValidationFailed({"from": exc.messages}) from None
    name = (parsed.get("name") or sender)[:120]
    for attempt in (1, 2):
        contact, _ = find_or_create(workspace_id, name=name, source=SOURCE,
                                    email=sender if channel == "email" else None,
                                    phone=sender if channel == "sms" else None)
        append_inbound(workspace_id, contact, channel=channel, body=body, subject=parsed.get("subject"),
                       from_address=sender, provider=provider,
                       provider_message_id=(str(parsed["provider_message_id"])[:200]
                                            if parsed.get("provider_message_id") else None))
        try:
            db.session.flush()
            return
        except sa.exc.IntegrityError:
            db.session.rollback()  # the sender was created concurrently: found on the second pass
            if attempt == 2:
                raise


def _delivery_report(workspace_id: str, provider: str, parsed: dict) -> None:
    """A provider reports what became of a message it sent: ``delivered`` or ``failed``."""
    provider_message_id = parsed.get("provider_message_id")
    if not provider_message_id:
        return
    message = WorkspaceRepository(workspace_id).first(
        Message, Message.direction == "out", Message.provider == provider,
        Message.provider_message_id == str(provider_message_id))
    if message is None:
        return
    if parsed.get("status") == "delivered" and message.status == "sent":
        message.status, message.delivered_at = "delivered", utcnow()
    elif parsed.get("status") == "failed" and message.status in ("sent", "queued"):
        fail(message, str(parsed.get("error") or "The provider reported the message undeliverable"))
