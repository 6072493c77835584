"""A workspace's configured integrations (communication providers, calendar, webhooks)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin


class Integration(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "integrations"

    key: Mapped[str] = mapped_column(sa.String(60), nullable=False)  # e.g. "email", "sms", "email-backup"
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # email | sms | calendar | webhook | storage
    provider: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    #: Provider configuration; secret fields are encrypted (see careops.integrations.crypto).
    config: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    priority: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=100)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="unknown")  # ok | error | unknown
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Inbound webhooks name their integration with a token in the URL
    #: (``/public/inbound/<provider>?token=…``): the hash finds the row, the
    #: encrypted copy lets the owner read the URL again.
    inbound_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    inbound_token: Mapped[dict | None] = mapped_column(sa.JSON)

    __table_args__ = (sa.UniqueConstraint("workspace_id", "key", name="uq_integrations_workspace_key"),)
