"""The alerts raised by time passing, and their resolution when the condition clears.

- ``missed_message``: an open conversation whose latest customer message has
  had no staff reply for ``CAREOPS_ALERT_MISSED_MESSAGE_HOURS`` (default 4);
  automated messages are not replies.
- ``unconfirmed_booking``: a booking still ``pending`` (its service requires
  confirmation) ``CAREOPS_ALERT_UNCONFIRMED_BOOKING_HOURS`` (default 12) after
  it was made.

:func:`sweep` runs periodically (``careops.alerts.tasks``) under a task lock;
it is idempotent: the same situation never raises a second alert, and an
alert resolved by hand is not raised again for the same customer message or
booking. The receivers in ``careops.alerts.receivers`` resolve alerts as soon
as a reply is sent or the booking confirmed; the sweep also resolves any
alert whose condition cleared some other way (a closed conversation).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from careops.alerts.models import Alert
from careops.alerts.service import raise_alert, resolve_for
from careops.db import utcnow
from careops.extensions import db

DEFAULT_HOURS = {"CAREOPS_ALERT_MISSED_MESSAGE_HOURS": 4.0, "CAREOPS_ALERT_UNCONFIRMED_BOOKING_HOURS": 12.0}
BATCH = 500


def threshold(key: str) -> timedelta:
    """The configured delay: app config, else the environment, else the default."""
    value = current_app.config.get(key)
    if value is None:
        value = os.environ.get(key)
    hours = float(value) if value not in (None, "") else DEFAULT_HOURS[key]
    return timedelta(hours=hours)


def _unanswered():
    from careops.inbox.models import Conversation

    return sa.and_(Conversation.status == "open", Conversation.last_customer_message_at.is_not(None),
                   sa.or_(Conversation.last_staff_reply_at.is_(None),
                          Conversation.last_staff_reply_at < Conversation.last_customer_message_at))


def _alerted(kind: str, entity_type: str, entity_id, workspace_id, since=None):
    """An alert of ``kind`` exists for the entity (raised at or after ``since``)."""
    criteria = [Alert.workspace_id == workspace_id, Alert.kind == kind, Alert.entity_type == entity_type,
                Alert.entity_id == entity_id]
    if since is not None:
        criteria.append(Alert.created_at >= since)
    return sa.select(Alert.id).where(*criteria).exists()


def raise_missed_messages(now: datetime) -> int:
    from careops.contacts.models import Contact
    from careops.inbox.models import Conversation

    hours = threshold("CAREOPS_ALERT_MISSED_MESSAGE_HOURS")
    rows = db.session.execute(
        sa.select(Conversation.id, Conversation.workspace_id, Contact.name)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(_unanswered(), Conversation.last_customer_message_at <= now - hours,
               ~_alerted("missed_message", "conversation", Conversation.id, Conversation.workspace_id,
                         since=Conversation.last_customer_message_at))
        .order_by(Conversation.last_customer_message_at).limit(BATCH)).all()
    raised = 0
    for conversation_id, workspace_id, name in rows:
        raised += raise_alert(
            workspace_id, kind="missed_message", severity="warning",
            title=f"{name or 'A customer'} has waited over {_hours(hours)} for a reply",
            detail="A customer message has had no reply from staff (automated messages do not count).",
            entity_type="conversation", entity_id=conversation_id) is not None
    return raised


def raise_unconfirmed_bookings(now: datetime) -> int:
    from careops.bookings.models import Booking

    hours = threshold("CAREOPS_ALERT_UNCONFIRMED_BOOKING_HOURS")
    rows = db.session.execute(
        sa.select(Booking.id, Booking.workspace_id, Booking.reference)
        .where(Booking.status == "pending", Booking.created_at <= now - hours,
               ~_alerted("unconfirmed_booking", "booking", Booking.id, Booking.workspace_id))
        .order_by(Booking.created_at).limit(BATCH)).all()
    raised = 0
    for booking_id, workspace_id, reference in rows:
        raised += raise_alert(
            workspace_id, kind="unconfirmed_booking", severity="warning",
            title=f"Booking {reference} has waited over {_hours(hours)} for confirmation",
            detail="Confirm or cancel it: the customer does not know yet whether it stands.",
            entity_type="booking", entity_id=booking_id) is not None
    return raised


def resolve_cleared() -> int:
    """Resolve open time-based alerts whose condition no longer holds (however it cleared)."""
    from careops.bookings.models import Booking
    from careops.inbox.models import Conversation

    answered = db.session.execute(
        sa.select(Alert.workspace_id, Alert.entity_id)
        .join(Conversation, Conversation.id == Alert.entity_id)
        .where(Alert.status == "open", Alert.kind == "missed_message", Alert.entity_type == "conversation",
               ~_unanswered())).all()
    settled = db.session.execute(
        sa.select(Alert.workspace_id, Alert.entity_id)
        .join(Booking, Booking.id == Alert.entity_id)
        .where(Alert.status == "open", Alert.kind == "unconfirmed_booking", Alert.entity_type == "booking",
               Booking.status != "pending")).all()
    count = 0
    for workspace_id, conversation_id in answered:
        count += resolve_for(workspace_id, "missed_message", "conversation", conversation_id)
    for workspace_id, booking_id in settled:
        count += resolve_for(workspace_id, "unconfirmed_booking", "booking", booking_id)
    return count


def sweep(now: datetime | None = None) -> dict:
    """Raise due time-based alerts and resolve cleared ones, committing each step."""
    now = now or utcnow()
    result = {"missed_message": raise_missed_messages(now)}
    db.session.commit()
    result["unconfirmed_booking"] = raise_unconfirmed_bookings(now)
    db.session.commit()
    result["resolved"] = resolve_cleared()
    db.session.commit()
    return result


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    return f"{hours:g} hour" + ("" if hours == 1 else "s")
