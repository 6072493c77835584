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
from careops.errors import Unauthorized, ValidationFailed
from careops.extensions import db
from careops.fields import normalize_email
from careops.inbox import status
from careops.inbox.service import append_inbound
from careops.integrations.service import build_provider, find_by_inbound_token, inbound_url
from careops.messaging.base import CHANNELS, ProviderError

log = logging.getLogger(__name__)
SOURCE = "inbound"


def receive(provider_name: str, request) -> dict:
    """Verify, parse and store one inbound post; ``{"ok": True}``. Commits."""
    row = find_by_inbound_token(provider_name, request.args.get("token"))
    if row is None:
        raise Unauthorized("Unknown inbound token")
    try:
        provider_instance = build_provider(row)
        # Providers that sign the URL they posted to (Twilio) compare it with the one they were given.
        provider_instance.inbound_url = inbound_url(row)
        parsed = provider_instance.verify_inbound(request)
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
        status.delivery_report(workspace_id, provider, parsed)
    else:
        _message(workspace_id, provider, parsed)
    db.session.commit()
    return {"ok": True}


def _message(workspace_id: str, provider: str, parsed: dict):
    channel, sender, body = parsed.get("channel"), parsed.get("from"), parsed.get("body")
    errors = {}
    if channel not in CHANNELS:
        errors["channel"] = [f"Must be one of {', '.join(CHANNELS)}."]
    if not isinstance(sender, str) or not sender.strip():
        errors["from"] = ["Missing sender."]
    if not isinstance(body, str):
        errors["body"] = ["Missing body."]
    for optional in ("name", "subject"):  # a signed payload can still carry the wrong type
        if parsed.get(optional) is not None and not isinstance(parsed[optional], str):
            errors[optional] = ["Not a string."]
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
        try:
            contact = answered_contact(workspace_id, parsed.get("thread_message_ids"))
            if contact is None:
                contact, _ = find_or_create(
                    workspace_id,
                    name=name,
                    source=SOURCE,
                    email=sender if channel == "email" else None,
                    phone=sender if channel == "sms" else None,
                )
            stored = append_inbound(
                workspace_id,
                contact,
                channel=channel,
                body=body,
                subject=parsed.get("subject"),
                from_address=sender,
                provider=provider,
                provider_message_id=(
                    str(parsed["provider_message_id"])[:200] if parsed.get("provider_message_id") else None
                ),
            )
            if channel == "sms" and stored is not None:
                status.apply_opt(contact, parsed, body)
            db.session.flush()
            return stored
        except sa.exc.IntegrityError:
            db.session.rollback()  # the sender was created concurrently (at a flush): found on the second pass
            if attempt == 2:
                raise


def store_message(workspace_id: str, provider: str, parsed: dict):
    """Store what a provider fetched itself (the SMTP plugin's IMAP polling), as :func:`receive` does. Not committed.

    ``parsed`` is what :meth:`~careops.messaging.base.CommunicationProvider.verify_inbound`
    returns: an inbound message — the stored message is returned, or None when
    this ``provider_message_id`` was stored before; invalid input raises
    ``ValidationFailed`` — or a delivery report (a bounce) — the message it
    was about is returned, or None when it is not one of ours.
    """
    if parsed.get("event") == "delivery":
        return status.delivery_report(workspace_id, provider, parsed)
    return _message(workspace_id, provider, parsed)


def answered_contact(workspace_id: str, message_ids):
    """The contact whose conversation holds the first of ``message_ids`` that is an outgoing message here.

    A reply names the message it answers (an email's In-Reply-To/References):
    it belongs in that conversation even when the customer writes from another address.
    """
    from careops.db import WorkspaceRepository
    from careops.inbox.models import Conversation, Message

    repo = WorkspaceRepository(workspace_id)
    for message_id in (message_ids or [])[:20]:
        if not isinstance(message_id, str) or len(message_id) > 36:
            continue
        message = repo.first(
            Message, Message.id == message_id, Message.direction == "out", Message.conversation_id.is_not(None)
        )
        if message is not None:
            return repo.get(Conversation, message.conversation_id).contact
    return None
