"""Days with free times, then the times of one day: the picker of the booking and manage pages.

Everything offered comes from :func:`careops.bookings.offer.offered_slots`, the
function behind the public slot list; this module only groups it by the
workspace's calendar days and reads the visitor's choice from the query string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from careops.bookings import offer
from careops.db import utcnow

#: Days shown at once; "Later dates" moves the window.
WINDOW_DAYS = 14


@dataclass
class Picker:
    timezone: str
    first: date
    days: list[tuple[date, int]] = field(default_factory=list)  # (day, free times) with at least one
    earlier: date | None = None
    later: date | None = None
    day: date | None = None
    times: list = field(default_factory=list)  # Slot, start in the workspace's zone
    start: datetime | None = None  # the chosen slot's start, when it is still offered


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def parse_start(value: str | None) -> datetime | None:
    """An aware datetime from the ``start`` a time link carries; None when it is not one."""
    try:
        moment = datetime.fromisoformat(value) if value and len(value) <= 40 else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def pick(workspace, service, args, *, exclude_booking_id: str | None = None) -> Picker:
    """The picker for query ``args`` (``first``, ``day``, ``start``), for ``service`` of ``workspace``."""
    tz = ZoneInfo(workspace.timezone)
    now = utcnow()
    today = now.astimezone(tz).date()
    horizon = today + timedelta(days=service.booking_horizon_days)
    day = _date(args.get("day"))
    if day is not None and not today <= day <= horizon:
        day = None
    first = _date(args.get("first")) or day or today
    first = min(max(first, today), horizon)
    if day is not None and not first <= day < first + timedelta(days=WINDOW_DAYS):
        first = day
    last = min(first + timedelta(days=WINDOW_DAYS - 1), horizon)
    slots = offer.offered_slots(workspace.id, service, first, last, tz, now, exclude_booking_id=exclude_booking_id)
    by_day: dict[date, list] = {}
    for slot in slots:
        by_day.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    picker = Picker(timezone=workspace.timezone, first=first, days=[(d, len(s)) for d, s in by_day.items()])
    if first > today:
        picker.earlier = max(today, first - timedelta(days=WINDOW_DAYS))
    if last < horizon:
        picker.later = last + timedelta(days=1)
    if day is not None:
        picker.day = day
        picker.times = [_local(slot, tz) for slot in by_day.get(day, [])]
        start = parse_start(args.get("start"))
        if start is not None:
            picker.start = next((slot.start for slot in picker.times if slot.start == start), None)
    return picker


def _local(slot, tz):
    from dataclasses import replace

    return replace(slot, start=slot.start.astimezone(tz), end=slot.end.astimezone(tz))
