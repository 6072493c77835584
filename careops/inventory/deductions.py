"""Deducting a completed booking's usage from stock, exactly once.

Each (booking, item) is a :class:`~careops.inventory.models.BookingDeduction`
row inserted with ``INSERT … ON CONFLICT DO NOTHING`` under the item's lock:
a second delivery of the event, a second worker or a status set twice finds
the row and deducts nothing. When stock does not cover the usage, what there
is is used (down to zero), the shortfall is kept on the row and an
``out_of_stock`` alert is raised — the booking's completion never fails
because of stock.
"""

from __future__ import annotations

from decimal import Decimal

from careops.bookings import service as bookings
from careops.db import WorkspaceRepository, insert_or_ignore, utcnow
from careops.errors import NotFound
from careops.extensions import db
from careops.inventory import ledger
from careops.inventory.models import BOOKING, BookingDeduction
from careops.services import service as services


def deduct_for_booking(workspace_id: str, booking_id: str) -> list[BookingDeduction]:
    """Deduct the booking's service usage if not done yet; the deductions written now. Not committed."""
    booking = bookings.get(workspace_id, booking_id)
    if booking.status != "completed":
        return []
    service = services.get(workspace_id, booking.service_id)
    written = []
    # Items in id order: two bookings completing at once lock them in the same order (no deadlock).
    for usage in sorted(service.inventory_usage or [], key=lambda u: u["item_id"]):
        try:
            item = ledger.lock_item(workspace_id, usage["item_id"])
        except NotFound:
            continue  # the item was deleted after the service named it
        requested = ledger.quantize(usage["quantity"])
        used = min(requested, item.quantity)
        if not insert_or_ignore(
            BookingDeduction,
            {
                "workspace_id": workspace_id,
                "booking_id": booking.id,
                "item_id": item.id,
                "requested": requested,
                "deducted": used,
                "created_at": utcnow(),
            },
        ):
            continue
        if used > 0:
            ledger.record(item, -used, BOOKING, booking_id=booking.id)
        if used < requested:
            ledger.raise_stock_alert(
                item,
                "out",
                detail=(
                    f"Booking {booking.reference} needed {ledger.show(requested)} {item.unit} of {item.name}; "
                    f"only {ledger.show(used)} {item.unit} was in stock."
                ),
            )
        written.append(db.session.get(BookingDeduction, (booking.id, item.id)))
    return written


def deducted_for_booking(workspace_id: str, booking_id: str) -> dict[str, Decimal]:
    """``{item_id: deducted}`` of a booking (for tests and the booking's history)."""
    rows = WorkspaceRepository(workspace_id).all(BookingDeduction, BookingDeduction.booking_id == booking_id)
    return {row.item_id: row.deducted for row in rows}
