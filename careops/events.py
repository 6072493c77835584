"""Every domain event, and the outbox that guarantees its delivery.

Events are blinker signals, named in the past tense. A service never sends a
signal itself: it calls :func:`emit`, which writes an :class:`OutboxEvent` in
the *same transaction* as the change it announces. After the commit the event
is handed to the task queue; the consumer sends the signal (:func:`deliver`).
A rolled-back transaction takes its events with it; an event whose enqueue
failed is re-delivered by the periodic sweep (:func:`sweep`).

Each receiver runs in its own transaction together with an :class:`EventReceipt`
keyed by (event id, receiver), so a second delivery of the same event runs no
receiver twice, and in the event's workspace scope (:mod:`careops.scoping`).
The outbox itself is plumbing, not a workspace's rows: :class:`OutboxEvent`
has a ``workspace_id`` but no ``WorkspaceMixin``, so the ORM scope leaves it
alone (PostgreSQL's row-level security still covers it). Receivers must not
commit: the dispatcher commits their work with the receipt, or rolls both back
when the receiver raises.

Each event's payload is a frozen dataclass of :mod:`careops.event_types` (catalogue:
``docs/events.md``); the outbox stores its JSON form and rebuilds it at delivery.
Every signal is sent with the workspace id as sender and these keyword
arguments: ``event_id``, ``workspace_id``, ``occurred_at`` (an aware datetime),
``event`` (the rebuilt dataclass) and the payload's fields as stored in the
outbox JSON (a datetime there is an ISO 8601 string), as before the dataclasses.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import Mapped, mapped_column

from careops import event_types, scoping, sweeps
from careops.after_commit import call_after_commit
from careops.db import Base, UTCDateTime, new_id, utcnow
from careops.event_types import Event

log = logging.getLogger(__name__)
signals = Namespace()


def _signal(cls: type[Event]):
    # The dataclass is the one description of the event and its payload (docs/events.md).
    fields = ", ".join(f.name for f in dataclasses.fields(cls)) or "none"
    return signals.signal(cls.name, doc=f"{cls.__doc__} Payload ({cls.__name__}): {fields}.")


contact_created = _signal(event_types.ContactCreated)
booking_created = _signal(event_types.BookingCreated)
booking_status_changed = _signal(event_types.BookingStatusChanged)
booking_rescheduled = _signal(event_types.BookingRescheduled)
booking_cancelled = _signal(event_types.BookingCancelled)
message_received = _signal(event_types.MessageReceived)
staff_replied = _signal(event_types.StaffReplied)
form_sent = _signal(event_types.FormSent)
form_submitted = _signal(event_types.FormSubmitted)
form_overdue = _signal(event_types.FormOverdue)
inventory_low = _signal(event_types.InventoryLow)
workspace_activated = _signal(event_types.WorkspaceActivated)
message_failed = _signal(event_types.MessageFailed)
alert_raised = _signal(event_types.AlertRaised)

EVENTS = dict(signals.items())
if set(EVENTS) != set(event_types.EVENT_CLASSES):  # a signal without its dataclass, or the reverse
    raise RuntimeError(f"events and event_types disagree: {sorted(set(EVENTS) ^ set(event_types.EVENT_CLASSES))}")

#: Undelivered events older than this are picked up by the sweep (the grace all catch-up sweeps share).
SWEEP_AFTER = sweeps.GRACE
MAX_ATTEMPTS = 10


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True, nullable=False
    )
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
        sa.String(36), sa.ForeignKey("outbox_events.id", ondelete="CASCADE"), primary_key=True
    )
    receiver: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def emit(event: Event | str, workspace_id: str, **payload) -> str:
    """Record ``event`` in the current transaction; it is delivered after the commit. Returns its id.

    ``event`` is an :mod:`careops.event_types` dataclass (``emit(BookingCreated(booking_id=…,
    source=…), workspace_id)``). The older spelling ``emit("booking_created", workspace_id,
    booking_id=…, source=…)`` builds the same dataclass. Either way a wrong payload raises
    :class:`TypeError` (an unknown name :class:`ValueError`) here, before anything is written.
    """
    if isinstance(event, str):
        event = event_types.build(event, payload)
    elif payload:
        raise TypeError(f"emit({type(event).__name__}(...)) takes no keyword payload; got {sorted(payload)}")
    elif not isinstance(event, Event) or event.name not in EVENTS:
        raise TypeError(f"emit() needs an event from careops.event_types, not {event!r}")
    from careops.extensions import db

    row = OutboxEvent(id=new_id(), workspace_id=workspace_id, name=event.name, payload=event.to_payload())
    db.session.add(row)
    # The same after-commit queue as every other post-commit call (one listener pair, calls
    # in the order queued): a second queue ran all events before, or after, everything else.
    # A failed enqueue is logged there; the sweep delivers the event.
    call_after_commit(_enqueue_delivery, row.id)
    return row.id


def _enqueue_delivery(event_id: str) -> None:
    # Looked up at call time: events.py imports no queue (and tests swap the task).
    from careops import events_tasks

    events_tasks.deliver_event(event_id)


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

    Returns True when every receiver has handled the event. The outbox is read
    unscoped (an event id may be of any workspace, whoever delivers it); each
    receiver runs in the event's workspace.
    """
    with scoping.unscoped():
        return _deliver(event_id)


def _deliver(event_id: str) -> bool:
    from careops.extensions import db

    session = db.session
    event = session.get(OutboxEvent, event_id)
    if event is None or event.delivered_at is not None:
        session.rollback()
        return event is not None
    signal = EVENTS[event.name]
    kwargs = {
        **event.payload,
        "event_id": event.id,
        "workspace_id": event.workspace_id,
        "occurred_at": event.created_at,
        "event": _typed(event),
    }
    workspace_id, name = event.workspace_id, event.name
    done = set(session.scalars(sa.select(EventReceipt.receiver).where(EventReceipt.event_id == event_id)))
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
            # Each receiver works for the event's workspace, whoever delivers it (the
            # enqueuing request's task, or the unscoped sweep).
            with scoping.workspace_scope(workspace_id):
                receiver(workspace_id, **kwargs)
                session.commit()
        except Exception as exc:  # noqa: BLE001 - one receiver's failure must not stop the others
            # Including an IntegrityError of the receiver's own work: it failed, its receipt goes too.
            session.rollback()
            log.exception("receiver %s failed for event %s %s", key, name, event_id)
            errors.append(f"{key}: {exc}")
    event = session.get(OutboxEvent, event_id)
    if event is None:  # deleted meanwhile with its workspace: nothing left to record against
        return not errors
    event.attempts += 1
    if errors:
        event.last_error = "; ".join(errors)[:2000]
    else:
        event.delivered_at = utcnow()
        event.last_error = None
    session.commit()
    return not errors


def _typed(row: OutboxEvent) -> Event | None:
    """The dataclass of outbox row ``row``; None for a row that no longer fits it.

    Rows written before the payloads were typed have the same JSON shape and rebuild
    as well. One that cannot (a key since removed, a value of another type) is still
    delivered: its receivers get the stored keyword arguments and ``event=None``.
    """
    try:
        return event_types.from_payload(row.name, row.payload or {})
    except (TypeError, ValueError) as exc:
        log.warning("outbox event %s (%s) does not fit its dataclass, delivered without it: %s", row.id, row.name, exc)
        return None


def sweep(now: datetime | None = None) -> int:
    """Deliver every event left undelivered for longer than :data:`SWEEP_AFTER`; return how many."""
    cutoff = (now or utcnow()) - SWEEP_AFTER
    return sweeps.sweep_ids(
        sa.select(OutboxEvent.id)
        .where(
            OutboxEvent.delivered_at.is_(None), OutboxEvent.created_at <= cutoff, OutboxEvent.attempts < MAX_ATTEMPTS
        )
        .order_by(OutboxEvent.created_at),
        deliver,
        what="event",
    )
