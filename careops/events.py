"""Every domain event, and the outbox that guarantees its delivery.

Events are blinker signals, named in the past tense. A service never sends a
signal itself: it calls :func:`emit`, which writes an :class:`OutboxEvent` in
the *same transaction* as the change it announces. After the commit the event
is handed to the task queue; the consumer sends the signal (:func:`deliver`).
A rolled-back transaction takes its events with it; an event whose enqueue
failed is re-delivered by the periodic sweep (:func:`sweep`).

Each receiver runs in its own transaction together with an :class:`EventReceipt`
keyed by (event id, receiver), so a second delivery of the same event runs no
receiver twice. Receivers must not commit: the dispatcher commits their work
with the receipt, or rolls both back when the receiver raises.

Every signal is sent with the workspace id as sender and these keyword
arguments: ``event_id``, ``workspace_id``, ``occurred_at`` (an aware datetime)
and the payload keys listed in its docstring.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import Mapped, Session, mapped_column

from careops.db import Base, UTCDateTime, new_id, utcnow

log = logging.getLogger(__name__)
signals = Namespace()

contact_created = signals.signal("contact_created", doc="A contact was created. Payload: contact_id, source.")
booking_created = signals.signal("booking_created", doc="A booking was made. Payload: booking_id, source.")
booking_status_changed = signals.signal(
    "booking_status_changed", doc="A booking changed status. Payload: booking_id, old_status, new_status.")
booking_rescheduled = signals.signal(
    "booking_rescheduled", doc="A booking moved. Payload: booking_id, old_start, new_start (ISO strings).")
booking_cancelled = signals.signal(
    "booking_cancelled", doc="A booking was cancelled. Payload: booking_id, by ('customer' or 'staff').")
message_received = signals.signal(
    "message_received", doc="A customer message arrived. Payload: message_id, conversation_id, contact_id, channel.")
staff_replied = signals.signal(
    "staff_replied", doc="Staff replied in a conversation. Payload: message_id, conversation_id, user_id.")
form_sent = signals.signal("form_sent", doc="A form request was sent. Payload: submission_id, booking_id.")
form_submitted = signals.signal("form_submitted", doc="A customer submitted a form. Payload: submission_id.")
form_overdue = signals.signal("form_overdue", doc="A form passed its due time. Payload: submission_id.")
inventory_low = signals.signal(
    "inventory_low", doc="An item fell to or below its threshold. Payload: item_id, quantity, threshold.")
workspace_activated = signals.signal("workspace_activated", doc="A workspace was activated. Payload: none.")
message_failed = signals.signal(
    "message_failed", doc="Every provider failed to send a message. Payload: message_id, error.")
alert_raised = signals.signal(
    "alert_raised", doc="An alert was opened. Payload: alert_id, kind, severity, entity_type, entity_id, link.")

EVENTS = {name: signal for name, signal in signals.items()}

#: Undelivered events older than this are picked up by the sweep.
SWEEP_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 10
_PENDING_KEY = "careops_outbox_pending"


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    __table_args__ = (sa.Index("ix_outbox_events_undelivered", "delivered_at", "created_at"),)


class EventReceipt(Base):
    """Proof that ``receiver`` has handled ``event_id`` (its work committed with it)."""

    __tablename__ = "event_receipts"

    event_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("outbox_events.id", ondelete="CASCADE"), primary_key=True)
    receiver: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def emit(name: str, workspace_id: str, **payload) -> str:
    """Record event ``name`` in the current transaction; it is delivered after the commit."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    from careops.extensions import db

    event = OutboxEvent(id=new_id(), workspace_id=workspace_id, name=name, payload=payload)
    db.session.add(event)
    db.session.info.setdefault(_PENDING_KEY, []).append(event.id)
    return event.id


@sa.event.listens_for(Session, "after_commit")
def _enqueue_committed(session):
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    from careops.events_tasks import deliver_event

    for event_id in pending:
        try:
            deliver_event(event_id)
        except Exception:  # noqa: BLE001 - the sweep delivers what could not be enqueued
            log.exception("could not enqueue event %s; the sweep will deliver it", event_id)


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session):
    session.info.pop(_PENDING_KEY, None)


def connect_plugin_receivers(pairs) -> None:
    """Connect the ``(event_name, receiver)`` pairs of hook ``careops_event_receivers``."""
    for name, receiver in pairs:
        if name not in EVENTS:
            raise ValueError(f"a plugin asked for unknown event {name!r}; known: {', '.join(sorted(EVENTS))}")
        # Strong references: a plugin's function must not vanish with a garbage collection.
        EVENTS[name].connect(receiver, weak=False)


def receiver_key(receiver) -> str:
    return f"{receiver.__module__}.{receiver.__qualname__}"[:200]


def deliver(event_id: str) -> bool:
    """Send event ``event_id``'s signal to each receiver not yet run for it.

    Returns True when every receiver has handled the event.
    """
    from careops.extensions import db

    session = db.session
    event = session.get(OutboxEvent, event_id)
    if event is None or event.delivered_at is not None:
        session.rollback()
        return event is not None
    signal = EVENTS[event.name]
    kwargs = {**event.payload, "event_id": event.id, "workspace_id": event.workspace_id,
              "occurred_at": event.created_at}
    workspace_id, name = event.workspace_id, event.name
    done = {r for r in session.scalars(sa.select(EventReceipt.receiver).where(EventReceipt.event_id == event_id))}
    session.rollback()
    errors = []
    for receiver in list(signal.receivers_for(workspace_id)):
        key = receiver_key(receiver)
        if key in done:
            continue
        try:
            session.add(EventReceipt(event_id=event_id, receiver=key))
            session.flush()  # claims the receipt first: a concurrent delivery waits, then fails here
        except sa.exc.IntegrityError:
            session.rollback()  # another delivery ran this receiver
            continue
        try:
            receiver(workspace_id, **kwargs)
            session.commit()
        except Exception as exc:  # noqa: BLE001 - one receiver's failure must not stop the others
            # Including an IntegrityError of the receiver's own work: it failed, its receipt goes too.
            session.rollback()
            log.exception("receiver %s failed for event %s %s", key, name, event_id)
            errors.append(f"{key}: {exc}")
    event = session.get(OutboxEvent, event_id)
    event.attempts += 1
    if errors:
        event.last_error = "; ".join(errors)[:2000]
    else:
        event.delivered_at = utcnow()
        event.last_error = None
    session.commit()
    return not errors


def sweep(now: datetime | None = None) -> int:
    """Deliver every event left undelivered for longer than :data:`SWEEP_AFTER`; return how many."""
    from careops.extensions import db

    cutoff = (now or utcnow()) - SWEEP_AFTER
    ids = list(db.session.scalars(
        sa.select(OutboxEvent.id)
        .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.created_at <= cutoff,
               OutboxEvent.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEvent.created_at).limit(500)))
    db.session.rollback()
    for event_id in ids:
        deliver(event_id)
    return len(ids)
