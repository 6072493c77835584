"""Conversations: one per contact, created with it (messages arrive with the inbox)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin


class Conversation(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "conversations"

    contact_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("contacts.id", ondelete="CASCADE"), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="open")
    automation_paused: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    unread_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_message_preview: Mapped[str | None] = mapped_column(sa.String(200))

    contact = relationship("Contact", lazy="joined")
