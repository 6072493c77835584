"""Alert: one thing to act on, raised by a domain and resolved by a person (or by the domain itself)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin

KINDS = (
    "missed_message",
    "unconfirmed_booking",
    "overdue_form",
    "low_inventory",
    "out_of_stock",
    "delivery_failed",
    "integration_error",
)
SEVERITIES = ("info", "warning", "critical")
STATUSES = ("open", "resolved")


class Alert(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "alerts"

    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    severity: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="warning")
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    detail: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(300))  # the API path of the thing to act on
    entity_type: Mapped[str | None] = mapped_column(sa.String(40))
    entity_id: Mapped[str | None] = mapped_column(sa.String(36))
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="open")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: ``kind:entity_type:entity_id`` while open, NULL once resolved: the unique
    #: constraint keeps one open alert per kind and entity, even under races.
    open_key: Mapped[str | None] = mapped_column(sa.String(120))

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "open_key", name="uq_alerts_workspace_open_key"),
        sa.Index("ix_alerts_workspace_status_created", "workspace_id", "status", "created_at"),
        # The sweeps ask "was this entity alerted already?" (careops.alerts.conditions).
        sa.Index("ix_alerts_workspace_entity", "workspace_id", "entity_id", "kind"),
    )
