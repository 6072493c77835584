"""Form templates, the submissions sent to customers, and the hashed links that open them.

A template's fields may change; a submission keeps a copy of the fields (and
the template's version) it was sent with, so what a customer filled is always
read against what they were shown. Which services send a template is stored on
the service (``Service.form_template_ids``), the one source of truth; the
template's ``service_ids`` are read from there.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin, utcnow

STATUSES = ("pending", "completed", "overdue")
#: A submission in these statuses can still be filled.
OPEN = ("pending", "overdue")


class FormTemplate(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "form_templates"

    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(2000))
    fields: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    due_after_hours: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=24)
    #: Set when imported from a plugin's pack; (pack_key, pack_template) makes a second import a no-op.
    pack_key: Mapped[str | None] = mapped_column(sa.String(60))
    pack_template: Mapped[str | None] = mapped_column(sa.String(120))
    #: Bumped whenever the fields change; submissions record the version they were sent with.
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    #: False once deleted while submissions still refer to it: it is no longer sent.
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "pack_key", "pack_template", name="uq_form_templates_workspace_pack"),
    )


class FormSubmission(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    """One template sent for one booking: pending until the customer fills it, overdue once past due."""

    __tablename__ = "form_submissions"

    template_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("form_templates.id"), index=True, nullable=False
    )
    booking_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False
    )
    contact_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True, nullable=False
    )
    #: The template as it was sent: name, fields and version.
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    fields: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    template_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    __table_args__ = (
        # One submission per template and booking, however often booking_created is delivered.
        sa.UniqueConstraint("booking_id", "template_id", name="uq_form_submissions_booking_template"),
        sa.Index("ix_form_submissions_status_due", "status", "due_at"),
        sa.Index("ix_form_submissions_workspace_created", "workspace_id", "created_at"),
    )


class FormAccessToken(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    """A customer's link to one submission; only the sha256 is stored (one per message that carries it)."""

    __tablename__ = "form_access_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    submission_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("form_submissions.id", ondelete="CASCADE"), index=True, nullable=False
    )
