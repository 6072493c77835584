"""A workspace's changes to an automation rule, and the automated messages scheduled for later.

Rules without a row use their defaults (:mod:`careops.automation.rules`).
A :class:`ScheduledAutomation` is one future message (a reminder): the Huey
task scheduled for its ``due_at`` runs it, and the periodic sweep runs any
that were missed (worker down, queue lost). ``automation_key`` is the
message's key too, so running it twice sends once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin


class AutomationRule(IdMixin, WorkspaceMixin, Base):
    __tablename__ = "automation_rules"

    key: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    channel: Mapped[str | None] = mapped_column(sa.String(10))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    template: Mapped[str | None] = mapped_column(sa.Text)
    sms_template: Mapped[str | None] = mapped_column(sa.Text)
    offset_minutes: Mapped[int | None] = mapped_column(sa.Integer)

    __table_args__ = (sa.UniqueConstraint("workspace_id", "key", name="uq_automation_rules_workspace_key"),)


class ScheduledAutomation(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "scheduled_automations"

    rule_key: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    subject_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # "booking"
    subject_id: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    #: What makes this occurrence unique (a booking's start): a moved booking gets new ones.
    occurrence: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    automation_key: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")  # pending|done|cancelled
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "automation_key", name="uq_scheduled_automations_workspace_key"),
        sa.Index("ix_scheduled_automations_status_due", "status", "due_at"),
        sa.Index("ix_scheduled_automations_subject", "workspace_id", "subject_type", "subject_id"),
    )
