"""The unified inbox: listing conversations, staff replies, pausing automation, inbound messages.

A staff reply is queued (sent in the background), counts as the answer to the
customer's messages and — while the ``staff_reply_pause`` rule is on — pauses
every automated message to that contact until staff resume it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from careops import events, versioned_cache
from careops.contacts import service as contacts
from careops.db import WorkspaceRepository, insert_or_ignore, new_id, utcnow
from careops.errors import ValidationFailed
from careops.event_types import MessageReceived, StaffReplied
from careops.extensions import db
from careops.inbox.models import Conversation, Message
from careops.inbox.sending import conversation_of, send_to_contact, touch

if TYPE_CHECKING:
    from careops.contacts.models import Contact


def _never_pauses(workspace_id: str) -> bool:
    return False


#: Whether a staff reply pauses the conversation's automation: the automation domain's
#: ``staff_reply_pause`` rule decides (:func:`decide_reply_pause`, from
#: ``careops.automation.receivers``), so the inbox imports no automation code.
_reply_pauses_automation: Callable[[str], bool] = _never_pauses


def decide_reply_pause(decides: Callable[[str], bool]) -> None:
    """Register ``decides(workspace_id) -> bool``: does a staff reply pause automation there?"""
    global _reply_pauses_automation
    _reply_pauses_automation = decides


BODY_MAX = 50_000  # an inbound email is cut here; staff replies have their own, smaller limit


#: The conversations list's totals (:func:`cached_total`). The status filters read a
#: conversation's own columns; a contact's deletion takes its conversation with it
#: (``ON DELETE CASCADE``, which no flush shows), hence the contacts.
LIST_TOTALS = versioned_cache.Namespace("conversations", {"conversations", "contacts"}, max_entries=1024)
#: With ``q`` the list also reads the contacts' names, emails and phones and the messages'
#: bodies. A namespace of its own: a sent or delivered message then drops only the searches'
#: totals, not the plain list's.
SEARCH_TOTALS = versioned_cache.Namespace(
    "conversation-search", {"conversations", "contacts", "messages"}, max_entries=1024
)


def cached_total(workspace_id: str, filters: dict):
    """The total of the list :func:`search` gives for ``filters`` (the list's query), kept until what it reads changes.

    Counting every matching conversation was more of the list's database time than
    its page. For ``WorkspaceRepository.page``.
    """
    namespace = SEARCH_TOTALS if filters.get("q") else LIST_TOTALS
    return namespace.cached_total(workspace_id, "conversation list total", versioned_cache.filters_key(filters))


def search(workspace_id: str, *, status: str | None = None, q: str | None = None) -> sa.Select:
    """Conversations, latest message first (those without any message last)."""
    criteria = []
    if status in ("open", "closed"):
        criteria.append(Conversation.status == status)
    elif status == "unanswered":
        criteria += [
            Conversation.status == "open",
            Conversation.last_customer_message_at.is_not(None),
            sa.or_(
                Conversation.last_staff_reply_at.is_(None),
                Conversation.last_staff_reply_at < Conversation.last_customer_message_at,
            ),
        ]
    stmt = WorkspaceRepository(workspace_id).select(Conversation, *criteria)
    if q:
        like = f"%{q.strip().lower()}%"
        in_messages = (
            sa.select(Message.id)
            .where(Message.conversation_id == Conversation.id, sa.func.lower(Message.body).like(like))
            .exists()
        )
        stmt = contacts.join_contact(stmt, Conversation.contact_id).where(
            sa.or_(contacts.contact_like(like, f"%{q.strip()}%"), in_messages)
        )
    # NULLS LAST rather than "last_message_at IS NULL" first: the same order, which the
    # ix_conversations_workspace_latest index answers without a sort.
    return stmt.order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id)


def get(workspace_id: str, conversation_id: str) -> Conversation:
    return WorkspaceRepository(workspace_id).get(Conversation, conversation_id)


def message_with_contact(workspace_id: str, message_id: str) -> tuple[Message, str | None]:
    """A message and its conversation's contact id (None without a conversation); NotFound for another's."""
    repo = WorkspaceRepository(workspace_id)
    message = repo.get(Message, message_id)
    conversation = repo.first(Conversation, Conversation.id == message.conversation_id)
    return message, conversation.contact_id if conversation else None


def open_conversation(workspace_id: str, contact_id: str) -> None:
    """A new contact's one conversation, in the transaction creating the contact (not committed)."""
    WorkspaceRepository(workspace_id).add(Conversation(contact_id=contact_id))


def conversation_id_of(workspace_id: str, contact_id: str) -> str | None:
    """The id of the contact's conversation (the contact card links to it)."""
    repo = WorkspaceRepository(workspace_id)
    return db.session.scalar(
        repo.select(Conversation, Conversation.contact_id == contact_id).with_only_columns(Conversation.id)
    )


def automation_message_written(workspace_id: str, automation_key: str) -> bool:
    """Whether the automated message keyed ``automation_key`` was written already (each key goes once)."""
    return WorkspaceRepository(workspace_id).first(Message, Message.automation_key == automation_key) is not None


def counts(workspace_id: str, now: datetime) -> dict:
    """``{new_inquiries_24h, unanswered, open}`` for the dashboard: two aggregate queries."""
    repo = WorkspaceRepository(workspace_id)
    unanswered = sa.and_(
        Conversation.status == "open",
        Conversation.last_customer_message_at.is_not(None),
        sa.or_(
            Conversation.last_staff_reply_at.is_(None),
            Conversation.last_staff_reply_at < Conversation.last_customer_message_at,
        ),
    )
    counted = db.session.execute(
        sa.select(
            sa.func.count().filter(Conversation.status == "open").label("open"),
            sa.func.count().filter(unanswered).label("unanswered"),
        )
        .select_from(Conversation)  # the model named: the tenant scope filters it
        .where(*repo.criteria(Conversation))
    ).one()
    inquiries = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Message)
        .where(*repo.criteria(Message), Message.direction == "in", Message.created_at >= now - timedelta(hours=24))
    )
    return {"new_inquiries_24h": inquiries, "unanswered": counted.unanswered, "open": counted.open}


def detail(workspace_id: str, conversation_id: str) -> dict:
    conversation = get(workspace_id, conversation_id)
    messages = WorkspaceRepository(workspace_id).all(
        Message, Message.conversation_id == conversation.id, order_by=[Message.created_at, Message.id]
    )
    return {**summary(conversation), "messages": messages}


def summary(conversation: Conversation) -> dict:
    c = conversation.contact
    return {
        **{
            k: getattr(conversation, k)
            for k in (
                "id",
                "status",
                "unread_count",
                "automation_paused",
                "last_message_at",
                "last_message_preview",
                "unanswered",
            )
        },
        "contact": {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone},
    }


def reply(workspace_id: str, conversation_id: str, *, user_id: str, body: str, channel: str | None = None) -> dict:
    """Queue a staff message to the conversation's contact; returns the message as queued. Commits."""
    repo = WorkspaceRepository(workspace_id)
    conversation = repo.get(Conversation, conversation_id)
    contact = conversation.contact
    channel = channel or _reply_channel(repo, conversation, contact)
    if not {"email": contact.email, "sms": contact.phone}.get(channel):
        what = "email address" if channel == "email" else "phone number"
        raise ValidationFailed({"channel": [f"The contact has no {what}."]})
    message = send_to_contact(
        workspace_id,
        contact.id,
        channel=channel,
        subject=_reply_subject(repo, conversation),
        body=body,
        author=f"staff:{user_id}",
        fallback=False,
    )
    conversation.last_staff_reply_at = message.created_at
    conversation.unread_count = 0
    conversation.status = "open"
    if _reply_pauses_automation(workspace_id):
        conversation.automation_paused = True
    events.emit(StaffReplied(message_id=message.id, conversation_id=conversation.id, user_id=user_id), workspace_id)
    db.session.flush()
    answer = {
        k: getattr(message, k)
        for k in ("id", "direction", "channel", "author", "subject", "body", "status", "created_at", "sent_at", "error")
    }
    db.session.commit()  # the send task may run (and change the row) as soon as this commits
    return answer


def _reply_channel(repo: WorkspaceRepository, conversation: Conversation, contact: Contact) -> str:
    """The channel the customer last wrote on, else email when the contact has one, else SMS."""
    latest = db.session.scalars(
        sa.select(Message.channel)
        .where(
            Message.conversation_id == conversation.id, Message.direction == "in", Message.channel.in_(("email", "sms"))
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    ).first()
    if latest and {"email": contact.email, "sms": contact.phone}.get(latest):
        return latest
    return "email" if contact.email or not contact.phone else "sms"


def _reply_subject(repo: WorkspaceRepository, conversation: Conversation) -> str:
    from careops.workspaces.service import get_workspace

    last_subject = db.session.scalars(
        sa.select(Message.subject)
        .where(Message.conversation_id == conversation.id, Message.direction == "in", Message.subject.is_not(None))
        .order_by(Message.created_at.desc())
        .limit(1)
    ).first()
    if last_subject:
        return last_subject if last_subject.lower().startswith("re:") else f"Re: {last_subject}"[:300]
    return f"Message from {get_workspace(repo.workspace_id).name}"[:300]


def set_automation(workspace_id: str, conversation_id: str, paused: bool) -> Conversation:
    conversation = get(workspace_id, conversation_id)
    conversation.automation_paused = paused
    db.session.commit()
    return conversation


def mark_read(workspace_id: str, conversation_id: str) -> Conversation:
    conversation = get(workspace_id, conversation_id)
    conversation.unread_count = 0
    db.session.commit()
    return conversation


def set_status(workspace_id: str, conversation_id: str, status: str) -> Conversation:
    conversation = get(workspace_id, conversation_id)
    conversation.status = status
    db.session.commit()
    return conversation


def append_inbound(
    workspace_id: str,
    contact: Contact,
    *,
    channel: str,
    body: str,
    subject: str | None = None,
    from_address: str | None = None,
    provider: str | None = None,
    provider_message_id: str | None = None,
) -> Message | None:
    """Store a customer's message in its conversation and emit ``message_received``. Not committed.

    Returns None when the provider already delivered this message (a webhook retried).
    """
    conversation = conversation_of(workspace_id, contact.id)
    now = utcnow()
    message_id = new_id()
    inserted = insert_or_ignore(
        Message,
        {
            "id": message_id,
            "workspace_id": workspace_id,
            "conversation_id": conversation.id,
            "direction": "in",
            "channel": channel,
            "author": "customer",
            "from_address": from_address,
            "subject": (subject or None) and subject[:300],
            "body": body[:BODY_MAX],
            "status": "delivered",
            "provider": provider,
            "provider_message_id": provider_message_id,
            "attachments": [],
            "attempts": 0,
            "created_at": now,
            "delivered_at": now,
        },
    )
    if not inserted:
        return None
    message = db.session.get(Message, message_id)
    touch(conversation, message)
    conversation.status = "open"
    conversation.unread_count += 1
    conversation.last_customer_message_at = now
    contact.last_activity_at = now
    events.emit(
        MessageReceived(message_id=message.id, conversation_id=conversation.id, contact_id=contact.id, channel=channel),
        workspace_id,
    )
    return message
