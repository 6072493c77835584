"""Queuing outgoing messages: to a contact (in its conversation) or to a non-contact (system email).

Other domains call :func:`send_to_contact`. The message is written ``queued``
in the caller's transaction and handed to the task queue only after that
transaction commits (a rolled-back booking sends no confirmation); the task
(:mod:`careops.inbox.tasks`) sends it. Nothing here talks to a provider, so
nothing here can break the request that caused the message.
"""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING

from careops.after_commit import call_after_commit
from careops.contacts import service as contacts
from careops.db import WorkspaceRepository, insert_or_ignore, new_id, utcnow
from careops.extensions import db
from careops.inbox.models import Conversation, Message
from careops.messaging.base import CHANNELS

if TYPE_CHECKING:
    from careops.contacts.models import Contact

log = logging.getLogger(__name__)


def send_to_contact(
    workspace_id: str,
    contact_id: str,
    *,
    channel: str | None = None,
    subject: str | None = None,
    body: str,
    author: str,
    automation_key: str | None = None,
    attachments=(),
    fallback: bool = True,
) -> Message | None:
    """Queue a message to a contact in its conversation; sent after the caller commits. Not committed.

    ``channel`` is the preferred channel; with ``fallback`` another channel is
    used when the contact has no address (or the workspace no provider) for
    it. Returns None — and writes nothing — when ``automation_key`` was used
    before, or when ``author`` is an automation and the conversation's
    automation is paused. ``attachments`` are ``(filename, bytes, mime type)``.
    """
    repo = WorkspaceRepository(workspace_id)
    contact = contacts.get(workspace_id, contact_id)
    conversation = conversation_of(workspace_id, contact.id)
    if author.startswith("automation:") and conversation.automation_paused:
        log.info("automation paused for conversation %s: %s not sent", conversation.id, automation_key or author)
        return None
    if automation_key and repo.first(Message, Message.automation_key == automation_key) is not None:
        return None
    channel, to = choose_channel(workspace_id, contact, channel, fallback=fallback)
    if to is None and author.startswith("automation:") and blocked_channels(contact):
        # The customer texted STOP or the address bounced: automation stays silent rather than failing.
        log.info(
            "contact %s unreachable (%s): %s not sent",
            contact.id,
            ", ".join(blocked_channels(contact)),
            automation_key or author,
        )
        return None
    message = _insert(
        workspace_id,
        conversation_id=conversation.id,
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        author=author,
        automation_key=automation_key,
        attachments=attachments,
    )
    if message is None:
        return None  # a concurrent caller inserted the same automation key first
    touch(conversation, message)
    if to is None:
        from careops.inbox.delivery import fail

        blocked = blocked_channels(contact)
        fail(
            message,
            f"The contact cannot be reached: {', '.join(blocked.values())}"
            if blocked
            else "The contact has no email address or phone number",
        )
    else:
        send_after_commit(message.id)
    return message


def send_system_message(workspace_id: str, *, to: str, subject: str, body: str, purpose: str) -> Message | None:
    """Queue an email to someone who is not a contact (no conversation). Not committed.

    ``purpose`` (e.g. ``invitation:<id>``) keys the message: the same purpose is sent once.
    """
    return _insert(
        workspace_id,
        conversation_id=None,
        channel="email",
        to=to,
        subject=subject,
        body=body,
        author="system",
        automation_key=purpose,
        attachments=(),
        then_send=True,
    )


def _insert(
    workspace_id: str,
    *,
    conversation_id,
    channel,
    to,
    subject,
    body,
    author,
    automation_key,
    attachments,
    then_send: bool = False,
) -> Message | None:
    now = utcnow()
    message_id = new_id()
    inserted = insert_or_ignore(
        Message,
        {
            "id": message_id,
            "workspace_id": workspace_id,
            "conversation_id": conversation_id,
            "direction": "out",
            "channel": channel,
            "author": author,
            "to_address": to,
            "subject": subject,
            "body": body,
            "status": "queued",
            "automation_key": automation_key,
            "attachments": _encode(attachments),
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    if not inserted:
        return None
    if then_send:
        send_after_commit(message_id)
    return db.session.get(Message, message_id)


def _encode(attachments) -> list[dict]:
    return [
        {"filename": name, "content_type": mime, "content": base64.b64encode(content).decode()}
        for name, content, mime in attachments
    ]


def decode_attachments(stored: list[dict]) -> list[tuple[str, bytes, str]]:
    return [(a["filename"], base64.b64decode(a["content"]), a["content_type"]) for a in stored or []]


def conversation_of(workspace_id: str, contact_id: str) -> Conversation:
    """The contact's conversation (created if a contact somehow lacks one)."""
    repo = WorkspaceRepository(workspace_id)
    conversation = repo.first(Conversation, Conversation.contact_id == contact_id)
    if conversation is None:
        conversation = repo.add(Conversation(contact_id=contact_id))
        db.session.flush()
    return conversation


def choose_channel(
    workspace_id: str, contact: Contact, preferred: str | None, *, fallback: bool = True
) -> tuple[str, str | None]:
    """``(channel, address)``: the preferred channel if the contact can be reached there, else another.

    A channel the workspace has a provider for wins over one it has none for;
    the address is None when the contact cannot be reached at all.
    """
    from careops.integrations.service import chain

    blocked = blocked_channels(contact)
    address = {
        "email": None if "email" in blocked else contact.email,
        "sms": None if "sms" in blocked else contact.phone,
    }
    if preferred and not fallback:
        return preferred, address.get(preferred)
    order = ([preferred] if preferred in CHANNELS else []) + [c for c in CHANNELS if c != preferred]
    reachable = [c for c in order if address[c]]
    for c in reachable:
        if chain(workspace_id, c):
            return c, address[c]
    if reachable:
        return reachable[0], address[reachable[0]]
    return order[0], None


def blocked_channels(contact: Contact) -> dict[str, str]:
    """``{channel: why}`` for the channels the contact has an address on but must not be sent to."""
    blocked = {}
    if contact.phone and contact.sms_opted_out:
        blocked["sms"] = "opted out of SMS (STOP)"
    if contact.email and contact.email_undeliverable:
        blocked["email"] = "email address undeliverable (hard bounce)"
    return blocked


def touch(conversation: Conversation, message: Message) -> None:
    """Move the conversation to the top of the inbox with this message's preview."""
    conversation.last_message_at = message.created_at
    conversation.last_message_preview = " ".join(message.body.split())[:200]


def send_after_commit(message_id: str) -> None:
    from careops.inbox.tasks import send_message

    call_after_commit(send_message, message_id)
