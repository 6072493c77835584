"""Bookable slots: a pure function of the rules, the overrides, what is booked and the clock.

Nothing here touches the database, Flask or the system clock: the caller passes
``now``. :func:`available_slots` is what the public booking page offers and what
a public booking must pick (:func:`is_available` checks one start of it);
:func:`spare_capacity` is the check a staff booking must pass.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
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

    # Cached: the slot loop reads these for every slot, and building a timedelta
    # costs more than the datetime arithmetic it is used in.
    @cached_property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @cached_property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.slot_interval_minutes or self.duration_minutes)

    @cached_property
    def before(self) -> timedelta:
        """How far the held range reaches back from the start (the buffer before)."""
        return timedelta(minutes=self.buffer_before_minutes)

    @cached_property
    def after(self) -> timedelta:
        """How far the held range reaches past the start (duration and buffer after)."""
        return self.duration + timedelta(minutes=self.buffer_after_minutes)

    def occupied(self, start: datetime) -> Interval:
        """What a booking starting at ``start`` holds, buffers included."""
        return start - self.before, start + self.after


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the workspace's zone
    end: datetime
    remaining: int

    @cached_property
    def public(self) -> dict:
        """The slot as the public API answers it; built once per slot, so a cached list renders once."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "remaining": self.remaining}


@dataclass
class Busy:
    """The intervals held on one resource, indexed for overlap queries.

    ``counts`` (optional, parallel to ``intervals``) says how many bookings hold
    each interval: the database hands identical intervals over as one row with
    its count (:func:`careops.bookings.offer.busy`), so a calendar of thousands
    of bookings on the slot grid is a few hundred weighted intervals.
    """

    intervals: list[Interval] = field(default_factory=list)
    counts: list[int] | None = None

    def __post_init__(self):
        counts = self.counts if self.counts is not None else [1] * len(self.intervals)
        if len(counts) != len(self.intervals):
            raise ValueError("counts and intervals differ in length")
        weighted = sorted(zip(self.intervals, counts, strict=True))
        self.intervals = [interval for interval, _ in weighted]
        self.counts = [n for _, n in weighted]
        self._starts = [s for s, _ in self.intervals]
        self._longest = max((e - s for s, e in self.intervals), default=timedelta(0))

    def peak(self, lo: datetime, hi: datetime) -> int:
        """The most bookings held at one instant of [lo, hi) (intervals are half-open)."""
        first = max(bisect.bisect_right(self._starts, lo - self._longest) - 1, 0)
        last = bisect.bisect_left(self._starts, hi)
        edges = []
        counts = self.counts
        assert counts is not None  # __post_init__ always sets it
        for i in range(first, last):
            s, e = self.intervals[i]
            # Conditionals rather than max()/min(): this runs for every slot of a range.
            s, e = (s if s > lo else lo), (e if e < hi else hi)
            if s < e:
                edges.append((s, counts[i]))
                edges.append((e, -counts[i]))
        if len(edges) <= 2:
            return edges[0][1] if edges else 0  # nothing or one interval: no sweep needed
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
    instant = local.astimezone(UTC)
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


def spare_capacity(
    service: ServiceSpec, start: datetime, busy: Mapping[str, Busy], capacities: Mapping[str, int]
) -> int:
    """The smallest spare capacity among the service's resources over its widened range at ``start``."""
    return spare_capacity_at(service, busy, capacities)(start)


def spare_capacity_at(
    service: ServiceSpec, busy: Mapping[str, Busy], capacities: Mapping[str, int]
) -> Callable[[datetime], int]:
    """:func:`spare_capacity` as a function of the start alone.

    The resources' capacities and busy indexes are looked up once rather than
    for each of the hundreds of slots of a range.
    """
    held = [(capacities.get(rid, 0), busy.get(rid) or _NOTHING_HELD) for rid in service.resource_ids]
    before, after = service.before, service.after

    def spare(start: datetime) -> int:
        lo, hi = start - before, start + after
        smallest = None
        for capacity, intervals in held:
            free = capacity - intervals.peak(lo, hi)
            if smallest is None or free < smallest:
                smallest = free
        return smallest if smallest is not None else 0

    return spare


#: A candidate slot: its start and end as UTC instants (for the checks) and in
#: the workspace's zone (for the answer).
Candidate = tuple[datetime, datetime, datetime, datetime]
_ONE_DAY = timedelta(days=1)


def steady_offset(day: date, tz: ZoneInfo) -> timedelta | None:
    """The zone's UTC offset on ``day`` when it does not change during the day; None on a DST day.

    Comparing the offsets at the day's two midnights is enough because no zone
    changes its offset twice within 36 hours (true of every IANA zone since 1970),
    so a change during the day shows as two different offsets. A spring-forward
    exactly at the next midnight reads that midnight with ``fold=0``, i.e. with
    the day's own offset: right, since none of the day's wall times is affected.
    """
    offset = datetime.combine(day, time(0), tzinfo=tz).utcoffset()
    return offset if offset == datetime.combine(day + _ONE_DAY, time(0), tzinfo=tz).utcoffset() else None


def _steady_candidates(
    day: date, window: tuple[time, time], service: ServiceSpec, tz: ZoneInfo, offset: timedelta
) -> Iterator[Candidate]:
    """The window's grid on a day with one UTC offset throughout.

    Every wall time exists once, so a wall step is the same step on the UTC line:
    the grid is plain datetime additions, with no zone conversion per slot
    (which was most of the time of a 30-day slot list).
    """
    local = datetime.combine(day, window[0], tzinfo=tz)
    closes = datetime.combine(day, window[1], tzinfo=UTC) - offset
    start = datetime.combine(day, window[0], tzinfo=UTC) - offset
    duration, interval = service.duration, service.interval
    while start + duration <= closes:
        # Adding to an aware time of one zone is wall arithmetic: exact on a steady day.
        yield start, start + duration, local, local + duration
        start += interval
        local += interval


def _exact_candidates(day: date, window: tuple[time, time], service: ServiceSpec, tz: ZoneInfo) -> Iterator[Candidate]:
    """The window's grid on a DST day: each wall time converted on its own, nonexistent ones skipped."""
    window_start, window_end = window
    closes, _ = wall_to_utc(day, window_end, tz)
    wall = datetime.combine(day, window_start)
    while wall < datetime.combine(day, window_end):
        start, exists = wall_to_utc(day, wall.time(), tz)
        wall += service.interval
        end = start + service.duration
        if exists and end <= closes:
            yield start, end, start.astimezone(tz), end.astimezone(tz)


def _candidates(day: date, windows: list, service: ServiceSpec, tz: ZoneInfo) -> Iterator[Candidate]:
    """Every grid start of ``day``'s windows that exists and whose slot ends inside its window."""
    offset = steady_offset(day, tz) if windows else None
    for window in windows:
        if offset is not None:
            yield from _steady_candidates(day, window, service, tz, offset)
        else:
            yield from _exact_candidates(day, window, service, tz)


def is_available(
    *,
    rules: Sequence[Rule],
    overrides: Sequence[Override],
    busy: Mapping[str, Busy],
    capacities: Mapping[str, int],
    service: ServiceSpec,
    now: datetime,
    start: datetime,
    tz: ZoneInfo,
    enforce_notice: bool = True,
) -> bool:
    """True when ``start`` is one of the starts :func:`available_slots` gives for its day.

    The same checks in the same order, for one start: on the grid of one of the
    day's windows (existing, first occurrence, ending inside the window), within
    notice and horizon, with room. Only that start's capacity is computed, so
    ``busy`` need only cover its widened range.
    """
    day = start.astimezone(tz).date()
    windows = windows_for(day, service.id, rules, overrides)
    if not any(candidate[0] == start for candidate in _candidates(day, windows, service, tz)):
        return False
    if enforce_notice and not (
        now + timedelta(minutes=service.min_notice_minutes)
        <= start
        <= now + timedelta(days=service.booking_horizon_days)
    ):
        return False
    return spare_capacity(service, start, busy, capacities) > 0


def available_slots(
    *,
    rules: Sequence[Rule],
    overrides: Sequence[Override],
    busy: Mapping[str, Busy],
    capacities: Mapping[str, int],
    service: ServiceSpec,
    now: datetime,
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    enforce_notice: bool = True,
) -> list[Slot]:
    """Every slot of ``service`` starting on ``first_day``…``last_day`` (workspace dates, inclusive), sorted."""
    earliest = now + timedelta(minutes=service.min_notice_minutes)
    latest = now + timedelta(days=service.booking_horizon_days)
    spare = spare_capacity_at(service, busy, capacities)
    slots: dict[datetime, Slot] = {}
    day = first_day
    while day <= last_day:
        windows = windows_for(day, service.id, rules, overrides)
        for start, _end, local_start, local_end in _candidates(day, windows, service, tz):
            if start in slots:
                continue  # overlapping windows: offered once
            if enforce_notice and not (earliest <= start <= latest):
                continue
            remaining = spare(start)
            if remaining > 0:
                slots[start] = Slot(local_start, local_end, remaining)
        day += _ONE_DAY
    return [slots[k] for k in sorted(slots)]
