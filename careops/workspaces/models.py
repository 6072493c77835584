"""Workspace: one business, its settings, its public contact form."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin

DEFAULT_CONTACT_FIELDS = [
    {"key": "name", "label": "Name", "type": "text", "required": True},
    {"key": "email", "label": "Email", "type": "email", "required": False},
    {"key": "phone", "label": "Phone", "type": "phone", "required": False},
    {"key": "message", "label": "Message", "type": "textarea", "required": False},
]


class Workspace(IdMixin, TimestampMixin, Base):
    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="setup")
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="UTC")
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="US")
    address: Mapped[str | None] = mapped_column(sa.String(300))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: sha256 of the token that opens the iCalendar feed; rotated by the owner.
    calendar_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: Shown on the public pages (careops/pages): an https image URL and a ``#rrggbb`` colour.
    logo_url: Mapped[str | None] = mapped_column(sa.String(500))
    accent_color: Mapped[str | None] = mapped_column(sa.String(7))
    #: The name of the inventory forecaster the workspace uses; None means the core's default.
    inventory_forecaster: Mapped[str | None] = mapped_column(sa.String(60))
    #: A random token replaced with every change of the booking configuration (services, resources,
    #: hours, overrides, channels): what :mod:`careops.workspaces.config_cache` keeps values under.
    config_version: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="", server_default="")


class ContactForm(WorkspaceMixin, Base):
    """The public contact form of a workspace (exactly one per workspace)."""

    __tablename__ = "contact_forms"

    workspace_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    fields: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=lambda: list(DEFAULT_CONTACT_FIELDS))
    success_message: Mapped[str] = mapped_column(
        sa.String(500), nullable=False, default="Thanks! We will get back to you shortly."
    )
