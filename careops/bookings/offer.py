"""What is on offer: rules, overrides, busy intervals and capacities loaded for the slot function.

:mod:`careops.bookings.slots` is pure; this module feeds it from the database,
for the public slot list (:func:`offered_slots`) and for the checks that
:mod:`careops.bookings.service` runs under the booking lock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from careops.availability import service as availability
from careops.bookings import slot_cache
from careops.bookings import slots as S
from careops.bookings.models import HOLDING, Booking, BookingResource
from careops.extensions import db
from careops.resources import service as resources
from careops.workspaces import config_cache

if TYPE_CHECKING:
    from careops.services.models import Service

#: Durations and buffers are at most a day each: a window this wide around a
#: range catches every booking that can overlap a slot inside it.
_MARGIN = timedelta(days=3)


def spec(service: Service) -> S.ServiceSpec:
    return S.ServiceSpec(
        id=service.id,
        duration_minutes=service.duration_minutes,
        resource_ids=tuple(service.resource_ids),
        buffer_before_minutes=service.buffer_before_minutes,
        buffer_after_minutes=service.buffer_after_minutes,
        slot_interval_minutes=service.slot_interval_minutes,
        min_notice_minutes=service.min_notice_minutes,
        booking_horizon_days=service.booking_horizon_days,
    )


def _ids(value) -> frozenset | None:
    return frozenset(value) if value else None


def rules(workspace_id: str, token: str | None = None) -> tuple[S.Rule, ...]:
    """The weekly hours, from the configuration cache (``token``: one already read for this check)."""
    return config_cache.cached(
        workspace_id,
        _token(workspace_id, token),
        ("rules",),
        lambda: tuple(S.Rule(r.weekday, r.start, r.end, _ids(r.service_ids)) for r in availability.rules(workspace_id)),
    )


def overrides(workspace_id: str, first: date, last: date, token: str | None = None) -> tuple[S.Override, ...]:
    return config_cache.cached(
        workspace_id,
        _token(workspace_id, token),
        ("overrides", first, last),
        lambda: tuple(
            S.Override(o.date, o.closed, o.start, o.end, _ids(o.service_ids))
            for o in availability.overrides_between(workspace_id, first, last)
        ),
    )


def capacities(workspace_id: str, resource_ids, token: str | None = None) -> dict[str, int]:
    """Capacity of each *active* resource among ``resource_ids``."""
    ids = tuple(sorted(resource_ids))
    kept = config_cache.cached(
        workspace_id,
        _token(workspace_id, token),
        ("capacities", ids),
        lambda: tuple(resources.active_capacities(workspace_id, ids).items()),
    )
    return dict(kept)


def _token(workspace_id: str, token: str | None) -> str:
    # One token for the hours, overrides and capacities of one check: read once, by the caller.
    return token if token is not None else config_cache.version(workspace_id)


def busy(
    workspace_id: str, resource_ids, lo: datetime, hi: datetime, exclude_booking_id: str | None = None
) -> dict[str, S.Busy]:
    """Per resource, the widened ranges of pending/confirmed bookings overlapping [lo, hi).

    Counted in SQL per distinct range: bookings sit on the slot grid, so 10,000
    of them over 30 days are ~720 rows (one per slot and resource) instead of
    10,000 — reading and converting every row was most of a slot list's time.
    """
    held_by = sa.func.count()
    overlapping = (
        Booking.workspace_id == workspace_id,
        Booking.status.in_(HOLDING),
        Booking.occupied_start < hi,
        Booking.occupied_end > lo,
    )
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and hi - lo < _MARGIN:
        # One slot's check, under the booking lock: a handful of bookings overlap it, but
        # PostgreSQL cannot tell (the two range conditions are estimated apart: ~2,000 of
        # 10,000 bookings) and hash-joined every booking_resources row — 2.5 ms of the
        # lock's hold. A LATERAL fenced by OFFSET 0 looks each overlapping booking's
        # resources up by primary key instead (~0.3 ms). SQLite has no LATERAL and
        # already loops over the booking index.
        holds = (
            sa.select(BookingResource.resource_id)
            .where(BookingResource.booking_id == Booking.id, BookingResource.resource_id.in_(list(resource_ids)))
            .offset(0)
            .lateral()
        )
        stmt = (
            sa.select(holds.c.resource_id, Booking.occupied_start, Booking.occupied_end, held_by)
            .select_from(Booking)
            .join(holds, sa.true())
            .where(*overlapping)
            .group_by(holds.c.resource_id, Booking.occupied_start, Booking.occupied_end)
        )
    else:
        stmt = (
            sa.select(BookingResource.resource_id, Booking.occupied_start, Booking.occupied_end, held_by)
            .join(Booking, Booking.id == BookingResource.booking_id)
            .where(BookingResource.resource_id.in_(list(resource_ids)), *overlapping)
            .group_by(BookingResource.resource_id, Booking.occupied_start, Booking.occupied_end)
        )
    if exclude_booking_id:
        stmt = stmt.where(Booking.id != exclude_booking_id)
    held: dict[str, tuple[list, list]] = {rid: ([], []) for rid in resource_ids}
    # As Core on the session's connection, so filtered by workspace here (the scoping listener
    # does not see it): the ORM's per-statement work was a third of this read's cost.
    for resource_id, start, end, count in connection.execute(stmt):
        intervals, counts = held[resource_id]
        intervals.append((start, end))
        counts.append(count)
    return {rid: S.Busy(intervals, counts) for rid, (intervals, counts) in held.items()}


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants around workspace dates ``first``…``last``, widened by the margin."""
    lo = datetime.combine(first, time(0), tzinfo=tz) - _MARGIN
    hi = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz) + _MARGIN
    return lo, hi


def offered_slots(
    workspace_id: str,
    service: Service,
    first: date,
    last: date,
    tz: ZoneInfo,
    now: datetime,
    exclude_booking_id: str | None = None,
) -> list[S.Slot]:
    """The slots a customer may book on workspace dates ``first``…``last``.

    The slots with room come from :mod:`careops.bookings.slot_cache` when it has
    them for the workspace's current version; the notice and horizon, which
    move with the clock, are applied here on every call.
    """
    shape = spec(service)

    def with_room() -> list[S.Slot]:
        lo, hi = day_bounds(first, last, tz)
        token = config_cache.version(workspace_id)
        return S.available_slots(
            rules=rules(workspace_id, token),
            overrides=overrides(workspace_id, first, last, token),
            busy=busy(workspace_id, service.resource_ids, lo, hi, exclude_booking_id),
            capacities=capacities(workspace_id, service.resource_ids, token),
            service=shape,
            now=now,
            first_day=first,
            last_day=last,
            tz=tz,
            enforce_notice=False,
        )

    if exclude_booking_id:
        listed = with_room()
    else:
        # The service's own settings are part of the key: a service change bumps the
        # version anyway, but a key that says what it was computed for cannot lie.
        listed = slot_cache.cached(workspace_id, (shape, first, last, tz.key), with_room)
    earliest = now + timedelta(minutes=shape.min_notice_minutes)
    latest = now + timedelta(days=shape.booking_horizon_days)
    return [slot for slot in listed if earliest <= slot.start <= latest]


def is_offered(
    workspace_id: str,
    service: Service,
    start: datetime,
    tz: ZoneInfo,
    now: datetime,
    exclude_booking_id: str | None = None,
    token: str | None = None,
) -> bool:
    """True when ``start`` is one of the slots a customer may book right now.

    Checks that one start (:func:`~careops.bookings.slots.is_available`) rather
    than listing the day's slots: only the bookings around it are loaded and
    only its capacity is computed, under the booking lock. ``token``: the
    configuration token the caller read under that lock, if it did.
    """
    s = spec(service)
    lo, hi = s.occupied(start)
    day = start.astimezone(tz).date()
    token = _token(workspace_id, token)
    return S.is_available(
        rules=rules(workspace_id, token),
        overrides=overrides(workspace_id, day, day, token),
        busy=busy(workspace_id, service.resource_ids, lo, hi, exclude_booking_id),
        capacities=capacities(workspace_id, service.resource_ids, token),
        service=s,
        now=now,
        start=start,
        tz=tz,
    )


def is_free(
    workspace_id: str,
    service: Service,
    start: datetime,
    exclude_booking_id: str | None = None,
    token: str | None = None,
) -> bool:
    """True when every resource of ``service`` has spare capacity for a booking at ``start``.

    ``token``: the configuration token the caller read under the booking lock, if it did.
    """
    s = spec(service)
    lo, hi = s.occupied(start)
    return (
        S.spare_capacity(
            s,
            start,
            busy(workspace_id, service.resource_ids, lo, hi, exclude_booking_id),
            capacities(workspace_id, service.resource_ids, token),
        )
        > 0
    )
