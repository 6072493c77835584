"""The ``unconfirmed_booking`` alert: a pending booking nobody confirmed.

A booking still ``pending`` (its service requires confirmation)
``CAREOPS_ALERT_UNCONFIRMED_BOOKING_HOURS`` (default 12) after it was made.
The alerts domain's periodic sweep calls these two functions (registered in
``careops.bookings.receivers``); bookings owns the question.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from careops.alerts.conditions import alerted, hours_text, open_alerts, raise_due_alerts, threshold
from careops.bookings.models import Booking
from careops.extensions import db


def raise_unconfirmed_bookings(now: datetime) -> int:
    hours = threshold("CAREOPS_ALERT_UNCONFIRMED_BOOKING_HOURS")
    due = (
        sa.select(Booking.id, Booking.workspace_id, Booking.reference)
        .where(
            Booking.status == "pending",
            Booking.created_at <= now - hours,
            ~alerted("unconfirmed_booking", "booking", Booking.id, Booking.workspace_id),
        )
        .order_by(Booking.created_at)
    )
    return raise_due_alerts(
        "unconfirmed_booking",
        "booking",
        due,
        title=lambda reference: f"Booking {reference} has waited over {hours_text(hours)} for confirmation",
        detail="Confirm or cancel it: the customer does not know yet whether it stands.",
    )


def settled_bookings() -> list[tuple[str, str]]:
    """``(workspace_id, booking_id)`` of open ``unconfirmed_booking`` alerts whose booking is no longer pending."""
    stmt = open_alerts("unconfirmed_booking", "booking")
    rows = db.session.execute(
        stmt.join(Booking, Booking.id == stmt.selected_columns.entity_id).where(Booking.status != "pending")
    )
    return [(workspace_id, booking_id) for workspace_id, booking_id in rows]
