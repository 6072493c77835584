"""Bookable slots: a pure function of the rules, the overrides, what is booked and the clock.

Nothing here touches the database, Flask or the system clock: the caller passes
``now``. :func:`available_slots` is what the public booking page offers and what
a public booking must pick; :func:`spare_capacity` is the check a staff booking
must pass.

**Wall-clock time.** Rules and overrides are wall-clock times in the workspace's
IANA zone (``zoneinfo``). A 09:00 rule is 09:00 on the local clock on both sides
of a daylight-saving change; the slot grid of a window starts at the window's
start and steps ``slot_interval_minutes`` of *wall* time, so slots stay on
:00/:30 whatever the offset. A slot lasts ``duration_minutes`` of *elapsed*
time (its end is start + duration on the UTC line) and must end no later than
the window's end.

**Nonexistent times** (spring forward: on 2026-03-29 in Europe/Paris the clock
jumps from 02:00 to 03:00, so 02:30 never happens) are **skipped**: no slot
starts at a wall time that does not exist. A window boundary inside the gap is
read with the offset before the change (Python's ``fold=0`` rule: 02:30 is taken
as 03:30 summer time).

**Ambiguous times** (fall back: on 2026-10-25 in Europe/Paris 02:00–02:59 happens
twice) use their **first occurrence** (``fold=0``, still on summer time): such a
slot is offered once, and the repeated hour is not offered a second time.

**Capacity.** A booking holds every resource of its service over
[start − buffer_before, end + buffer_after]. A slot is offered only when, over
that widened range, each resource's peak concurrent use (``busy``) stays below
its capacity; ``remaining`` is the smallest spare capacity among them.
A resource missing from ``capacities`` (inactive or deleted) has no capacity.

**Notice and horizon.** A public slot starts at least ``min_notice_minutes``
after ``now`` and at most ``booking_horizon_days`` after it; staff bookings
ignore both (``enforce_notice=False``).
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Rule:
    """Open ``start``–``end`` each ``weekday`` (0 = Monday) for ``service_ids`` (None: every service)."""

    weekday: int
    start: time
    end: time
    service_ids: frozenset[str] | None = None

    def applies_to(self, service_id: str) -> bool:
        return not self.service_ids or service_id in self.service_ids


@dataclass(frozen=True)
class Override:
    """On ``day``: closed, or open ``start``–``end`` instead of the weekly rules."""

    day: date
    closed: bool
    start: time | None = None
    end: time | None = None
    service_ids: frozenset[str] | None = None

    def applies_to(self, service_id: str) -> bool:
        return not self.service_ids or service_id in self.service_ids


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    duration_minutes: int
    resource_ids: tuple[str, ...]
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    slot_interval_minutes: int | None = None
    min_notice_minutes: int = 60
    booking_horizon_days: int = 60

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.slot_interval_minutes or self.duration_minutes)

    def occupied(self, start: datetime) -> Interval:
        """What a booking starting at ``start`` holds, buffers included."""
        return (start - timedelta(minutes=self.buffer_before_minutes),
                start + self.duration + timedelta(minutes=self.buffer_after_minutes))


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the workspace's zone
    end: datetime
    remaining: int


@dataclass
class Busy:
    """The intervals held on one resource, indexed for overlap queries."""

    intervals: list[Interval] = field(default_factory=list)

    def __post_init__(self):
        self.intervals = sorted(self.intervals)
        self._starts = [s for s, _ in self.intervals]
        self._longest = max((e - s for s, e in self.intervals), default=timedelta(0))

    def peak(self, lo: datetime, hi: datetime) -> int:
        """The most intervals held at one instant of [lo, hi) (intervals are half-open)."""
        first = bisect.bisect_right(self._starts, lo - self._longest)
        last = bisect.bisect_left(self._starts, hi)
        edges = []
        for s, e in self.intervals[max(first - 1, 0):last]:
            s, e = max(s, lo), min(e, hi)
            if s < e:
                edges.append((s, 1))
                edges.append((e, -1))
        # At equal instants an end (-1) sorts before a start (+1): back-to-back is not overlap.
        edges.sort()
        held = peak = 0
        for _, delta in edges:
            held += delta
            peak = max(peak, held)
        return peak


_NOTHING_HELD = Busy()


def wall_to_utc(day: date, wall: time, tz: ZoneInfo) -> tuple[datetime, bool]:
    """The instant of ``wall`` on ``day`` (first occurrence) and whether that wall time exists."""
    local = datetime.combine(day, wall, tzinfo=tz)  # fold=0: the first occurrence when ambiguous
    instant = local.astimezone(timezone.utc)
    exists = instant.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None)
    return instant, exists


def windows_for(day: date, service_id: str, rules: Iterable[Rule], overrides: Iterable[Override]) -> list:
    """The opening windows ``[(start, end)]`` (wall times) of ``day`` for one service.

    An override for the day replaces the weekly rules for the services it names:
    a closed override closes the day, open ones give the day's hours.
    """
    todays = [o for o in overrides if o.day == day and o.applies_to(service_id)]
    if any(o.closed for o in todays):
        return []
    if todays:
        return sorted({(o.start, o.end) for o in todays})
    return sorted({(r.start, r.end) for r in rules if r.weekday == day.weekday() and r.applies_to(service_id)})


def spare_capacity(service: ServiceSpec, start: datetime, busy: Mapping[str, Busy],
                   capacities: Mapping[str, int]) -> int:
    """The smallest spare capacity among the service's resources over its widened range at ``start``."""
    lo, hi = service.occupied(start)
    spare = None
    for resource_id in service.resource_ids:
        free = capacities.get(resource_id, 0) - (busy.get(resource_id) or _NOTHING_HELD).peak(lo, hi)
        spare = free if spare is None else min(spare, free)
    return spare if spare is not None else 0


def available_slots(*, rules: Sequence[Rule], overrides: Sequence[Override], busy: Mapping[str, Busy],
                    capacities: Mapping[str, int], service: ServiceSpec, now: datetime, first_day: date,
                    last_day: date, tz: ZoneInfo, enforce_notice: bool = True) -> list[Slot]:
    """Every slot of ``service`` starting on ``first_day``…``last_day`` (workspace dates, inclusive), sorted."""
    earliest = now + timedelta(minutes=service.min_notice_minutes)
    latest = now + timedelta(days=service.booking_horizon_days)
    slots: dict[datetime, Slot] = {}
    day = first_day
    while day <= last_day:
        for window_start, window_end in windows_for(day, service.id, rules, overrides):
            closes, _ = wall_to_utc(day, window_end, tz)
            wall = datetime.combine(day, window_start)
            while wall < datetime.combine(day, window_end):
                start, exists = wall_to_utc(day, wall.time(), tz)
                wall += service.interval
                if not exists or start in slots:
                    continue
                end = start + service.duration
                if end > closes:
                    continue
                if enforce_notice and not (earliest <= start <= latest):
                    continue
                remaining = spare_capacity(service, start, busy, capacities)
                if remaining > 0:
                    slots[start] = Slot(start.astimezone(tz), end.astimezone(tz), remaining)
        day += timedelta(days=1)
    return [slots[k] for k in sorted(slots)]
