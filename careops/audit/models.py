"""AuditEntry: one create, update or delete of one row, as it was committed. Never updated, never deleted."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, UTCDateTime, WorkspaceMixin

ACTIONS = ("create", "update", "delete")
ACTOR_TYPES = ("user", "customer", "system", "plugin")


class AuditEntry(IdMixin, WorkspaceMixin, Base):
    __tablename__ = "audit_log"
    __audit__ = False  # the log does not log itself

    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    actor_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    #: A user id, a task or plugin name; None for an anonymous customer.
    actor_id: Mapped[str | None] = mapped_column(sa.String(200))
    actor_email: Mapped[str | None] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    entity_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    entity_id: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    #: ``{field: [old, new]}``; secret-bearing fields never appear (careops.audit.recorder).
    changes: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(128))

    __table_args__ = (
        sa.Index("ix_audit_log_workspace_at", "workspace_id", "at"),
        sa.Index("ix_audit_log_workspace_entity", "workspace_id", "entity_type", "entity_id"),
        sa.Index("ix_audit_log_workspace_actor", "workspace_id", "actor_id"),
    )

    @property
    def actor(self) -> dict:
        actor = {"type": self.actor_type, "id": self.actor_id}
        if self.actor_email:
            actor["email"] = self.actor_email
        return actor
