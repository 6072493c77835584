"""Contacts: the business's customers, each with exactly one conversation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin, utcnow


class Contact(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "contacts"

    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    source: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="staff")
    tags: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    #: The customer texted STOP (START undoes it): no SMS goes to this number (careops.inbox.status).
    sms_opted_out: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    #: The email address hard-bounced: nothing is emailed to it until the address changes.
    email_undeliverable: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "email", name="uq_contacts_workspace_email"),
        sa.UniqueConstraint("workspace_id", "phone", name="uq_contacts_workspace_phone"),
        # The contacts list (most recently active first): read in index order, not sorted whole on every page.
        sa.Index("ix_contacts_workspace_last_activity", "workspace_id", "last_activity_at"),
    )
