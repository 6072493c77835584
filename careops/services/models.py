"""Service: a bookable type of appointment, and the resources it occupies."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin, utcnow


class Service(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "services"

    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(2000))
    duration_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    location: Mapped[str | None] = mapped_column(sa.String(300))
    buffer_before_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    min_notice_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=60)
    booking_horizon_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=60)
    #: None follows the duration (back-to-back slots), even when the duration changes later.
    slot_interval: Mapped[int | None] = mapped_column("slot_interval_minutes", sa.Integer)
    requires_confirmation: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    #: Stored as given: the forms and inventory domains read them.
    form_template_ids: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    inventory_usage: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    resource_links: Mapped[list[ServiceResource]] = relationship(
        order_by="ServiceResource.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def resource_ids(self) -> list[str]:
        return [link.resource_id for link in self.resource_links]

    @resource_ids.setter
    def resource_ids(self, ids: list[str]) -> None:
        self.resource_links = [ServiceResource(resource_id=rid, position=i) for i, rid in enumerate(ids)]

    @property
    def slot_interval_minutes(self) -> int:
        return self.slot_interval or self.duration_minutes


class ServiceResource(Base):
    """One resource a service occupies (rows go with the service or the resource)."""

    __tablename__ = "service_resources"

    service_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
