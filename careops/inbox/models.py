"""Conversations (one per contact, created with it) and their messages.

A :class:`Message` is also the unit of sending: an outgoing message is a row
``queued`` until a worker claims it (``lease_until``), sends it through the
provider chain and marks it ``sent`` or ``failed``. Messages to people who are
not contacts (staff invitations) have no conversation.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin, dialect_index

DIRECTIONS = ("in", "out")
STATUSES = ("queued", "sent", "delivered", "failed")
#: ``web`` is a message left through the public contact form.
MESSAGE_CHANNELS = ("email", "sms", "web")


class Conversation(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "conversations"

    contact_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("contacts.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="open")
    automation_paused: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    unread_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_message_preview: Mapped[str | None] = mapped_column(sa.String(200))
    #: "Unanswered" = a customer message newer than the last staff reply
    #: (automated messages are not replies); kept here so the filter is a cheap comparison.
    last_customer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_staff_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contact = relationship("Contact", lazy="joined")

    __table_args__ = (
        # Covers the dashboard's open/unanswered counts: answered from the index alone.
        sa.Index(
            "ix_conversations_workspace_waiting",
            "workspace_id",
            "status",
            "last_customer_message_at",
            "last_staff_reply_at",
        ),
    )

    @property
    def unanswered(self) -> bool:
        return self.last_customer_message_at is not None and (
            self.last_staff_reply_at is None or self.last_staff_reply_at < self.last_customer_message_at
        )


class Message(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "messages"

    conversation_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    #: ``customer``, ``staff:<user id>``, ``automation:<rule key>`` or ``system``.
    author: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    to_address: Mapped[str | None] = mapped_column(sa.String(254))
    from_address: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="queued")
    error: Mapped[str | None] = mapped_column(sa.Text)
    provider: Mapped[str | None] = mapped_column(sa.String(60))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(200))
    #: ``<rule>:<subject id>[:<occurrence>]`` for automated (and system) messages:
    #: unique per workspace, so no retry, restart or second worker sends one twice.
    automation_key: Mapped[str | None] = mapped_column(sa.String(200))
    #: ``[{"filename", "content_type", "content": base64}]``, kept until sent.
    attachments: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A worker that claimed the message owns it until then (a crashed worker's claim expires).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "automation_key", name="uq_messages_workspace_automation_key"),
        # An inbound webhook retried by its provider is stored once.
        sa.UniqueConstraint(
            "workspace_id", "direction", "provider", "provider_message_id", name="uq_messages_provider_message"
        ),
        sa.Index("ix_messages_status_next_attempt", "status", "next_attempt_at"),
        sa.Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        # The dashboard's "new inquiries in 24 hours": customer messages by time.
        sa.Index("ix_messages_workspace_direction_created", "workspace_id", "direction", "created_at"),
    )


# The inbox's order (latest message first, those without any last, then id), read
# straight from the index instead of sorting every conversation of the workspace.
# PostgreSQL puts NULLs first in a DESC index unless told; SQLite puts them last
# there and has no NULLS LAST in CREATE INDEX.
dialect_index(
    Conversation.__table__,
    "ix_conversations_workspace_latest",
    postgresql="workspace_id, last_message_at DESC NULLS LAST, id",
    sqlite="workspace_id, last_message_at DESC, id",
)
