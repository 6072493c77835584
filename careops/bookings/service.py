"""Booking rules: making and moving bookings without ever double-booking, and the status machine.

Public and staff bookings go through :func:`book`; moves through
:func:`reschedule`. Both run their capacity check and their write inside
:func:`~careops.bookings.locking.booking_lock`, in one transaction with the
outbox events they emit. A customer must pick one of the offered slots
(notice, horizon, opening hours and capacity); staff only need the time to be
free (capacity), wherever and whenever it is.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from careops import events
from careops.bookings import offer
from careops.bookings.locking import booking_lock
from careops.bookings.models import HOLDING, Booking, BookingResource
from careops.contacts import service as contacts
from careops.contacts.models import Contact
from careops.db import WorkspaceRepository, new_id, utcnow
from careops.errors import Conflict
from careops.event_types import BookingCancelled, BookingCreated, BookingRescheduled, BookingStatusChanged
from careops.extensions import db
from careops.services import service as services
from careops.services.models import Service
from careops.workspaces.models import Workspace

#: No 0/O, 1/I: a reference is read out over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRANSITIONS = {"pending": {"confirmed", "cancelled"}, "confirmed": {"completed", "no_show", "cancelled"}}
_ATTEMPTS = 5


class SlotUnavailable(Conflict):
    error_code, detail = "SLOT_UNAVAILABLE", "This time is no longer available"


class InvalidTransition(Conflict):
    error_code = "INVALID_TRANSITION"


def workspace_tz(workspace_id: str) -> ZoneInfo:
    return ZoneInfo(db.session.get_one(Workspace, workspace_id).timezone)


def new_reference() -> str:
    return "BK-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def get(workspace_id: str, booking_id: str) -> Booking:
    return WorkspaceRepository(workspace_id).get(Booking, booking_id)


def book(
    workspace_id: str,
    *,
    service_id: str,
    start: datetime,
    source: str,
    public: bool,
    contact_id: str | None = None,
    contact: dict | None = None,
    notes: str | None = None,
    with_manage_token: bool = False,
) -> tuple[Booking, str | None]:
    """Book ``start`` for a contact (an id, or ``{name, email?, phone?}`` found or created).

    Returns ``(booking, manage_token)``; the token is None unless asked for.
    Raises :class:`SlotUnavailable` (409) when the time is not bookable.
    Runs and commits its own transaction (the lock must open it): call it with
    nothing uncommitted in the session. The booking, its service and workspace
    stay loaded after the commit, for the answer.
    """
    _nothing_pending()
    repo = WorkspaceRepository(workspace_id)
    service = services.get_active(workspace_id, service_id)
    if contact_id is not None:
        repo.get(Contact, contact_id)
    if public and contact is not None:  # a customer we could never confirm to is refused up front
        from careops.inbox.reachability import require_reachable

        require_reachable(workspace_id, email=contact.get("email"), phone=contact.get("phone"))
    start = start.astimezone(UTC)
    tz = workspace_tz(workspace_id)
    for attempt in range(_ATTEMPTS):
        try:
            with booking_lock(service.resource_ids):
                _check(workspace_id, service, start, tz, public)
                if contact_id is None:
                    assert contact is not None, "a booking needs contact_id or contact"
                    customer, _ = contacts.find_or_create(workspace_id, source=source, **contact)
                    customer_id = customer.id
                else:
                    customer_id = contact_id
                booking = _insert(repo, service, start, customer_id, notes, source)
                token = None
                if with_manage_token:
                    from careops.bookings.manage import new_manage_token

                    token = new_manage_token(booking)
                events.emit(BookingCreated(booking_id=booking.id, source=source), workspace_id)
                _commit_keeping_loaded()
            _count(source)
            return booking, token
        except sa.exc.IntegrityError:
            # A reference clash or a customer created concurrently: start again.
            db.session.rollback()
            if attempt == _ATTEMPTS - 1:
                raise Conflict("The booking could not be saved; try again") from None
    raise AssertionError("unreachable")


def reschedule(
    workspace_id: str,
    booking_id: str,
    start: datetime,
    *,
    public: bool,
    notes: str | None = None,
    set_notes: bool = False,
) -> Booking:
    """Move a pending or confirmed booking to ``start``; the new time is checked under the lock."""
    booking = get(workspace_id, booking_id)
    service = services.get(workspace_id, booking.service_id)
    if booking.status not in HOLDING:
        raise InvalidTransition(f"A {booking.status} booking cannot be moved")
    start = start.astimezone(UTC)
    tz = workspace_tz(workspace_id)
    db.session.rollback()
    with booking_lock(service.resource_ids):
        booking = get(workspace_id, booking_id)  # re-read under the lock: it may have changed
        if booking.status not in HOLDING:
            raise InvalidTransition(f"A {booking.status} booking cannot be moved")
        old_start = booking.start
        if start != old_start:
            if public and not service.is_active:
                raise SlotUnavailable("This service is no longer offered")
            _check(workspace_id, service, start, tz, public, exclude_booking_id=booking.id)
            _place(booking, service, start)
            events.emit(BookingRescheduled(booking_id=booking.id, old_start=old_start, new_start=start), workspace_id)
        if set_notes:
            booking.notes = notes
        db.session.commit()
    return booking


def update(workspace_id: str, booking_id: str, changes: dict) -> Booking:
    """PATCH: a new ``start`` (re-checked) and/or ``notes``."""
    if "start" in changes:
        return reschedule(
            workspace_id,
            booking_id,
            changes["start"],
            public=False,
            notes=changes.get("notes"),
            set_notes="notes" in changes,
        )
    booking = get(workspace_id, booking_id)
    if "notes" in changes:
        booking.notes = changes["notes"]
        db.session.commit()
    return booking


def set_status(workspace_id: str, booking_id: str, status: str, *, by: str = "staff") -> Booking:
    """Move along the status machine; anything else is :class:`InvalidTransition` (409)."""
    booking = get(workspace_id, booking_id)
    old = booking.status
    if status not in TRANSITIONS.get(old, ()):
        raise InvalidTransition(f"A {old} booking cannot become {status}")
    # Compare-and-set: of two concurrent transitions from the same status, one wins
    # on every database, without a lock.
    changed = cast(
        "sa.CursorResult",
        db.session.execute(
            sa.update(Booking)
            .where(
                Booking.id == booking.id, *WorkspaceRepository(workspace_id).criteria(Booking), Booking.status == old
            )
            .values(status=status, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if not changed:
        db.session.rollback()
        raise InvalidTransition("The booking changed meanwhile; reload it")
    events.emit(BookingStatusChanged(booking_id=booking.id, old_status=old, new_status=status), workspace_id)
    if status == "cancelled":
        events.emit(BookingCancelled(booking_id=booking.id, by=by), workspace_id)
    db.session.commit()
    return booking


def listing(workspace_id: str, filters: dict, today: date | None = None, tz: ZoneInfo | None = None) -> sa.Select:
    """Bookings matching ``filters`` (status, from, to, contact_id, service_id, day), by start.

    ``tz`` is the workspace's zone when the caller has it already. The rows come
    without their resources (loaded only if read): a list answers none of them.
    """
    tz = tz or workspace_tz(workspace_id)
    criteria = []
    first, last = filters.get("from_"), filters.get("to")
    if filters.get("day") == "today":
        first = last = today or utcnow().astimezone(tz).date()
    if first is not None:
        criteria.append(Booking.start >= datetime.combine(first, time(0), tzinfo=tz))
    if last is not None:
        criteria.append(Booking.start < datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))
    for key in ("status", "contact_id", "service_id"):
        if filters.get(key):
            criteria.append(getattr(Booking, key) == filters[key])
    return (
        WorkspaceRepository(workspace_id)
        .select(Booking, *criteria)
        .order_by(Booking.start, Booking.id)
        .options(lazyload(Booking.resource_links))
    )


#: How many of a contact's bookings the contact card shows.
RECENT_FOR_CONTACT = 10


def recent_for_contact(workspace_id: str, contact_id: str) -> list[Booking]:
    """The contact's most recent bookings, latest start first (the contact card's ``bookings``)."""
    return list(
        db.session.scalars(
            WorkspaceRepository(workspace_id)
            .select(Booking, Booking.contact_id == contact_id)
            .order_by(Booking.start.desc())
            .limit(RECENT_FOR_CONTACT)
            .options(lazyload(Booking.resource_links))  # the card shows none of them
        )
    )


def _nothing_pending() -> None:
    """Refuse to run with unflushed changes: :func:`book` would commit them with the booking.

    Checked instead of rolling back, which expired every loaded row and cost
    the request a re-read of its service and workspace. Changes already
    flushed make :func:`~careops.bookings.locking.booking_lock` refuse on SQLite.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("book() runs its own transaction: commit or roll back first")


def _commit_keeping_loaded() -> None:
    """Commit without expiring what was loaded.

    The booking was just written and its service and workspace read in this
    transaction: expiring them (the session's default) made the answer re-read
    all three, five SELECTs that could only return what we already hold.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _check(
    workspace_id: str,
    service: Service,
    start: datetime,
    tz: ZoneInfo,
    public: bool,
    exclude_booking_id: str | None = None,
) -> None:
    if public:
        ok = offer.is_offered(workspace_id, service, start, tz, utcnow(), exclude_booking_id)
    else:
        ok = offer.is_free(workspace_id, service, start, exclude_booking_id)
    if not ok:
        raise SlotUnavailable()


def _place(booking: Booking, service: Service, start: datetime) -> None:
    """Set the booking's times and the resources it holds from the service as it is now."""
    s = offer.spec(service)
    booking.start, booking.end = start, start + s.duration
    booking.occupied_start, booking.occupied_end = s.occupied(start)
    booking.resource_links = [BookingResource(resource_id=rid) for rid in service.resource_ids]


def _insert(repo: WorkspaceRepository, service: Service, start: datetime, contact_id: str, notes, source) -> Booking:
    # No look-up of the reference first: a clash (one in 10^9 per existing
    # booking) meets the unique constraint at the commit, and book() starts again.
    # No flush here either: the id is given now, so the token and the events
    # refer to it, and the booking, its resources, token and events go in the
    # commit's one flush (one audit INSERT instead of two).
    booking = Booking(
        id=new_id(),
        reference=new_reference(),
        service_id=service.id,
        contact_id=contact_id,
        notes=notes,
        source=source,
        status="pending" if service.requires_confirmation else "confirmed",
    )
    _place(booking, service, start)
    repo.add(booking)
    return booking


def _count(source: str) -> None:
    from careops.operations.metrics import BOOKINGS_CREATED

    BOOKINGS_CREATED.labels(source).inc()
