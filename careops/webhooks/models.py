"""Webhook endpoints (where an owner wants events sent) and their deliveries (one per event and endpoint)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin

DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class WebhookEndpoint(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(sa.String(2000), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(500))
    #: Subscribed event types (``booking.created``…), see careops.webhooks.payloads.EVENT_TYPES.
    events: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The signing secret (``whsec_…``), encrypted like integration secrets (careops.integrations.crypto).
    secret: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    #: After a rotation, the old secret keeps signing (beside the new one) until it expires.
    previous_secret: Mapped[dict | None] = mapped_column(sa.JSON)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the first failed delivery after the last success happened; None while healthy.
    #: Failing every delivery since more than 5 days disables the endpoint.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookDelivery(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    """One event for one endpoint: its body (fixed at creation) and the outcome of its attempts."""

    __tablename__ = "webhook_deliveries"

    endpoint_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    #: The outbox event's id (a new id for a ``ping``): the ``webhook-id`` header of every attempt.
    event_id: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    #: ``{"type", "timestamp", "data"}`` exactly as sent.
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    #: Failed attempts since the delivery was created or redelivered: the position in the retry schedule.
    retry_step: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    response_status: Mapped[int | None] = mapped_column(sa.Integer)
    response_ms: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: When the next attempt is due (pending only). While an attempt runs it holds the
    #: attempt's lease, so a second worker finds it not due and leaves it alone.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )
