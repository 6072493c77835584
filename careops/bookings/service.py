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
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from careops import events
from careops.bookings import offer, slot_cache
from careops.bookings.locking import booking_lock
from careops.bookings.models import HOLDING, Booking, BookingResource
from careops.contacts import service as contacts
from careops.db import WorkspaceRepository, new_id, utcnow
from careops.errors import Conflict
from careops.event_types import BookingCancelled, BookingCreated, BookingRescheduled, BookingStatusChanged
from careops.extensions import db
from careops.services import service as services
from careops.versioned_cache import filters_key
from careops.workspaces import config_cache
from careops.workspaces.service import get_workspace

if TYPE_CHECKING:
    from careops.services.models import Service

#: No 0/O, 1/I: a reference is read out over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRANSITIONS = {"pending": {"confirmed", "cancelled"}, "confirmed": {"completed", "no_show", "cancelled"}}
_ATTEMPTS = 5


class SlotUnavailable(Conflict):
    error_code, detail = "SLOT_UNAVAILABLE", "This time is no longer available"


class InvalidTransition(Conflict):
    error_code = "INVALID_TRANSITION"


def workspace_tz(workspace_id: str) -> ZoneInfo:
    return ZoneInfo(get_workspace(workspace_id).timezone)


def new_reference() -> str:
    return "BK-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def get(workspace_id: str, booking_id: str) -> Booking:
    return WorkspaceRepository(workspace_id).get(Booking, booking_id)


def get_by_id(booking_id: str) -> Booking | None:
    """The booking through the session's identity map (no query when loaded already), or None.

    For a caller holding the id from one of the workspace's own rows (a form submission's booking).
    """
    return db.session.get(Booking, booking_id)


def join_not_cancelled(stmt: sa.Select, booking_id) -> sa.Select:
    """``stmt`` joined to the booking its column ``booking_id`` names, keeping the rows whose booking is not cancelled.

    For a sweep over another domain's rows that skips cancelled bookings, in the same query.
    """
    return stmt.join(Booking, Booking.id == booking_id).where(Booking.status != "cancelled")


def with_start_and_booked_at(stmt: sa.Select, booking_id) -> sa.Select:
    """``stmt`` outer-joined to the booking its column ``booking_id`` names, the booking's ``start`` and
    ``created_at`` added as columns (None for a row without a booking). For lead times, in the same query."""
    return stmt.add_columns(Booking.start, Booking.created_at).outerjoin(Booking, Booking.id == booking_id)


def upcoming_services(workspace_id: str, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
    """``(service_id, start)`` of the bookings holding a time in ``[since, until)`` (pending or confirmed)."""
    rows = db.session.execute(
        WorkspaceRepository(workspace_id)
        .select(Booking)
        .with_only_columns(Booking.service_id, Booking.start)
        .where(Booking.status.in_(HOLDING), Booking.start >= since, Booking.start < until)
    )
    return [(service_id, start) for service_id, start in rows]


def holds_slot(booking: Booking) -> bool:
    """The booking still holds its time (pending or confirmed): it can be moved or cancelled."""
    return booking.status in HOLDING


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
        contacts.get(workspace_id, contact_id)
    start = start.astimezone(UTC)
    tz = workspace_tz(workspace_id)
    for attempt in range(_ATTEMPTS):
        try:
            with booking_lock(service.resource_ids):
                # One read of the configuration token for every check of this booking (channels,
                # hours, capacities), under the lock: it sees a change committed just before it.
                config_token = config_cache.version(workspace_id)
                if public and contact is not None:  # a customer we could never confirm to is refused first
                    from careops.inbox.reachability import require_reachable

                    require_reachable(
                        workspace_id, email=contact.get("email"), phone=contact.get("phone"), token=config_token
                    )
                _check(workspace_id, service, start, tz, public, token=config_token)
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


def cached_total(workspace_id: str, filters: dict, tz: ZoneInfo):
    """The list's total from the slot cache, which every booking write invalidates (see :func:`listing`).

    Counting every matching booking was more of the list's database time than
    its page: 0.6 ms on SQLite and 1.7 ms on PostgreSQL for 10,000 bookings.
    The key is the filters and today's date (``day=today`` moves with it).
    """
    today = utcnow().astimezone(tz).date()
    return slot_cache.SLOTS.cached_total(workspace_id, "booking list total", filters_key(filters), today)


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


def day_overview(
    workspace_id: str, now: datetime, day_start: datetime, day_end: datetime, limit: int
) -> tuple[dict, list]:
    """The dashboard's bookings: ``({today, upcoming_7d, pending_confirmation, no_show_today, completed_today},
    rows)``, the rows (at most ``limit``) today's bookings not cancelled, as plain column rows in start order."""
    repo = WorkspaceRepository(workspace_id)
    week_end = now + timedelta(days=7)
    is_today = sa.and_(Booking.start >= day_start, Booking.start < day_end)
    count = lambda condition: sa.func.count().filter(condition)  # noqa: E731
    # One range scan of (workspace_id, start) covers both today and the coming week.
    counts = db.session.execute(
        sa.select(
            count(sa.and_(is_today, Booking.status != "cancelled")).label("today"),
            count(
                sa.and_(Booking.start >= now, Booking.start < week_end, Booking.status.in_(("pending", "confirmed")))
            ).label("upcoming_7d"),
            count(sa.and_(is_today, Booking.status == "no_show")).label("no_show_today"),
            count(sa.and_(is_today, Booking.status == "completed")).label("completed_today"),
        )
        .select_from(Booking)  # the model named: the tenant scope filters it
        .where(*repo.criteria(Booking), Booking.start >= min(day_start, now), Booking.start < max(day_end, week_end))
    ).one()
    pending = db.session.scalar(
        sa.select(sa.func.count()).select_from(Booking).where(*repo.criteria(Booking), Booking.status == "pending")
    )
    # Plain rows, not ORM objects: the list is read-only and loading entities was most of its cost.
    rows = db.session.execute(
        sa.select(
            Booking.id,
            Booking.reference,
            Booking.service_id,
            Booking.contact_id,
            Booking.start,
            Booking.end,
            Booking.status,
            Booking.notes,
            Booking.source,
            Booking.created_at,
            Booking.updated_at,
        )
        .where(*repo.criteria(Booking), is_today, Booking.status != "cancelled")
        .order_by(Booking.start, Booking.id)
        .limit(limit)
    ).all()
    return (
        {
            "today": counts.today,
            "upcoming_7d": counts.upcoming_7d,
            "pending_confirmation": pending,
            "no_show_today": counts.no_show_today,
            "completed_today": counts.completed_today,
        },
        list(rows),
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
    token: str | None = None,
) -> None:
    if public:
        ok = offer.is_offered(workspace_id, service, start, tz, utcnow(), exclude_booking_id, token)
    else:
        ok = offer.is_free(workspace_id, service, start, exclude_booking_id, token)
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
