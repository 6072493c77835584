"""Stock items, their append-only ledger of movements, and the once-per-booking deductions.

**Quantities are ``Numeric(14, 3)``** — exact decimals with three places on
both databases. Supplies are counted in units, ml or g; 0.5 ml of a serum is a
real use, and binary floats would drift over thousands of movements (0.1 + 0.2).
Three places cover a microlitre of a ml-counted liquid or a milligram of a
g-counted powder; eleven integer digits cover any shelf. The service rounds
every incoming quantity to these three places (more places are refused with
422) so the item, its movements and their sum always agree.

An item's ``quantity`` is only ever written by :mod:`careops.inventory.ledger`,
together with its :class:`StockMovement`, in one transaction, under the item's
row lock.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin, utcnow

SCALE = 3
QUANTITY = sa.Numeric(14, SCALE, asdecimal=True)
#: Reasons the ledger writes itself; an adjustment's reason is the caller's text.
INITIAL, BOOKING = "initial stock", "booking completed"


class InventoryItem(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "inventory_items"

    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="unit")
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False, default=Decimal(0))
    low_stock_threshold: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False, default=Decimal(0))
    #: How many times the item has fallen to or below its threshold: keys the
    #: ``inventory_alert`` message and the ``inventory_low`` event of each crossing.
    low_crossings: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.Index("ix_inventory_items_workspace_name", "workspace_id", "name"),
    )

    @property
    def is_low(self) -> bool:
        return self.quantity <= self.low_stock_threshold


class StockMovement(IdMixin, WorkspaceMixin, Base):
    """One change of an item's quantity; never updated, never deleted (except with its item)."""

    __tablename__ = "inventory_movements"

    item_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("inventory_items.id", ondelete="CASCADE"), nullable=False
    )
    delta: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False)
    quantity_after: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    booking_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(sa.String(36), sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    #: Orders movements written in the same instant (a clock tick is coarse on some hosts).
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("item_id", "sequence", name="uq_inventory_movements_item_sequence"),
        sa.Index("ix_inventory_movements_workspace_created", "workspace_id", "created_at"),
    )


class BookingDeduction(WorkspaceMixin, Base):
    """A booking's usage of one item was deducted: the primary key makes it happen once."""

    __tablename__ = "inventory_booking_deductions"

    booking_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("inventory_items.id", ondelete="CASCADE"), primary_key=True
    )
    requested: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False)
    deducted: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
