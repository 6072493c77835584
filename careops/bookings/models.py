"""Booking, the resources it occupies, and its customer manage tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin, utcnow

#: The statuses that occupy resources.
HOLDING = ("pending", "confirmed")
STATUSES = ("pending", "confirmed", "cancelled", "completed", "no_show")


class Booking(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "bookings"

    reference: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    service_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("services.id"), index=True, nullable=False)
    contact_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True, nullable=False
    )
    start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: [start - buffer_before, end + buffer_after], fixed when booked or moved: later buffer
    #: changes of the service do not move what existing bookings hold.
    occupied_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    occupied_end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.String(2000))
    source: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    resource_links: Mapped[list[BookingResource]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    #: Never loaded (lazy="raise"): declared so that one flush writes a customer created with
    #: the booking before it — the unit of work orders inserts by relationships, not by foreign
    #: keys. Named, not imported: bookings do not depend on the contacts domain's models.
    contact = relationship("Contact", lazy="raise")

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "reference", name="uq_bookings_workspace_reference"),
        sa.Index("ix_bookings_workspace_start", "workspace_id", "start"),
        sa.Index("ix_bookings_occupied", "status", "occupied_start", "occupied_end"),
        # The dashboard's "pending confirmation" count and the unconfirmed-booking sweep.
        sa.Index("ix_bookings_workspace_status_start", "workspace_id", "status", "start"),
    )

    @property
    def resource_ids(self) -> list[str]:
        return [link.resource_id for link in self.resource_links]


class BookingResource(Base):
    """A resource held by a booking (while the booking is pending or confirmed)."""

    __tablename__ = "booking_resources"

    booking_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class BookingManageToken(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    """A customer's link to view, cancel or move one booking; only the sha256 is stored."""

    __tablename__ = "booking_manage_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    booking_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("bookings.id", ondelete="CASCADE"), index=True, nullable=False
    )

    #: Never loaded (lazy="raise"): declared so that one flush writes a new booking before
    #: its token — the unit of work orders inserts by relationships, not by foreign keys.
    booking: Mapped[Booking] = relationship(lazy="raise")
