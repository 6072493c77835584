"""The pure slot function: hours, grid, notice, horizon, capacity, buffers, overrides, DST."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from careops.bookings.slots import (
    Busy,
    Override,
    Rule,
    ServiceSpec,
    available_slots,
    is_available,
    spare_capacity,
    wall_to_utc,
    windows_for,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
UTC = UTC
MON = date(2026, 6, 1)  # a Monday, far from any DST change
EARLY = datetime(2026, 1, 1, tzinfo=UTC)  # "now" long before every test day


def spec(**kw):
    base = dict(id="svc", duration_minutes=60, resource_ids=("r1",), min_notice_minutes=0, booking_horizon_days=3650)
    return ServiceSpec(**{**base, **kw})


def slots(
    rules=None, overrides=(), busy=None, capacities=None, service=None, now=EARLY, first=MON, last=None, tz=PARIS, **kw
):
    return available_slots(
        rules=rules if rules is not None else [Rule(0, time(9), time(12))],
        overrides=overrides,
        busy=busy or {},
        capacities=capacities if capacities is not None else {"r1": 1},
        service=service or spec(),
        now=now,
        first_day=first,
        last_day=last or first,
        tz=tz,
        **kw,
    )


def walls(result):
    return [s.start.strftime("%H:%M") for s in result]


def local(day, hhmm, tz=PARIS, fold=0):
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=tz).replace(fold=fold)


def test_back_to_back_slots_fill_the_window():
    result = slots()
    assert walls(result) == ["09:00", "10:00", "11:00"]
    assert all(s.remaining == 1 for s in result)
    assert result[0].start == local(MON, "09:00") and result[0].end == local(MON, "10:00")
    assert result[0].start.utcoffset() == timedelta(hours=2)  # answered in workspace time


def test_interval_shorter_than_duration_and_window_end():
    assert walls(slots(service=spec(slot_interval_minutes=30))) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert walls(slots(rules=[Rule(0, time(9), time(10, 30))])) == ["09:00"]  # 10:00 would end after 10:30
    assert walls(slots(service=spec(duration_minutes=45), rules=[Rule(0, time(9), time(11))])) == ["09:00", "09:45"]


def test_only_the_rules_weekday_and_several_days():
    assert slots(first=MON + timedelta(days=1)) == []
    result = slots(
        rules=[Rule(0, time(9), time(10)), Rule(2, time(14), time(15))], first=MON, last=MON + timedelta(days=6)
    )
    assert [s.start for s in result] == [local(MON, "09:00"), local(MON + timedelta(days=2), "14:00")]


def test_rule_for_other_services_does_not_apply():
    assert slots(rules=[Rule(0, time(9), time(12), frozenset({"other"}))]) == []
    assert len(slots(rules=[Rule(0, time(9), time(12), frozenset({"other", "svc"}))])) == 3


def test_minimum_notice():
    now = local(MON, "08:30").astimezone(UTC)
    assert walls(slots(now=now, service=spec(min_notice_minutes=60))) == ["10:00", "11:00"]
    assert walls(slots(now=now, service=spec(min_notice_minutes=30))) == ["09:00", "10:00", "11:00"]  # exactly
    assert walls(slots(now=local(MON, "10:30").astimezone(UTC))) == ["11:00"]  # the past is never offered


def test_horizon():
    now = local(MON, "09:00").astimezone(UTC) - timedelta(days=2)
    assert walls(slots(now=now, service=spec(booking_horizon_days=2))) == ["09:00"]  # exactly 2 days ahead
    assert slots(now=now, service=spec(booking_horizon_days=1)) == []


def test_staff_checks_ignore_notice_and_horizon():
    now = local(MON, "10:30").astimezone(UTC)
    assert walls(slots(now=now, enforce_notice=False)) == ["09:00", "10:00", "11:00"]


def test_a_booking_takes_its_slot_and_back_to_back_is_fine():
    busy = {"r1": Busy([(local(MON, "10:00"), local(MON, "11:00"))])}
    assert walls(slots(busy=busy)) == ["09:00", "11:00"]


def test_buffers_of_the_new_booking_widen_its_range():
    busy = {"r1": Busy([(local(MON, "10:00"), local(MON, "11:00"))])}
    assert walls(slots(busy=busy, service=spec(buffer_before_minutes=15))) == ["09:00"]
    assert walls(slots(busy=busy, service=spec(buffer_after_minutes=1))) == ["11:00"]


def test_existing_ranges_come_widened():
    # an existing 10:00-11:00 booking with a 30-minute buffer after holds until 11:30
    busy = {"r1": Busy([(local(MON, "10:00"), local(MON, "11:30"))])}
    assert walls(slots(busy=busy, service=spec(slot_interval_minutes=30))) == ["09:00"]


def test_capacity_and_remaining():
    one = (local(MON, "10:00"), local(MON, "11:00"))
    busy = {"r1": Busy([one, one])}
    result = {s.start.strftime("%H:%M"): s.remaining for s in slots(busy=busy, capacities={"r1": 3})}
    assert result == {"09:00": 3, "10:00": 1, "11:00": 3}
    assert walls(slots(busy={"r1": Busy([one, one, one])}, capacities={"r1": 3})) == ["09:00", "11:00"]


def test_capacity_counts_the_peak_not_every_overlapping_booking():
    # two bookings inside the slot that never overlap each other use one place at a time
    busy = {"r1": Busy([(local(MON, "09:00"), local(MON, "09:30")), (local(MON, "09:30"), local(MON, "10:00"))])}
    result = slots(busy=busy, capacities={"r1": 2}, rules=[Rule(0, time(9), time(10))])
    assert [(s.start, s.remaining) for s in result] == [(local(MON, "09:00"), 1)]


def test_every_resource_must_have_room_and_remaining_is_the_smallest():
    service = spec(resource_ids=("room", "nurse"))
    busy = {"nurse": Busy([(local(MON, "10:00"), local(MON, "11:00"))])}
    result = slots(service=service, busy=busy, capacities={"room": 3, "nurse": 2})
    assert [(s.start.strftime("%H:%M"), s.remaining) for s in result] == [("09:00", 2), ("10:00", 1), ("11:00", 2)]
    assert slots(service=service, capacities={"room": 3}) == []  # an inactive resource has no room


def test_closed_override_and_replacement_hours():
    closed = Override(MON, closed=True)
    assert slots(overrides=[closed]) == []
    assert len(slots(overrides=[Override(MON, closed=True, service_ids=frozenset({"other"}))])) == 3
    hours = Override(MON, closed=False, start=time(14), end=time(16))
    assert walls(slots(overrides=[hours])) == ["14:00", "15:00"]
    saturday = MON + timedelta(days=5)
    assert walls(slots(overrides=[Override(saturday, False, time(10), time(11))], first=saturday)) == ["10:00"]
    # two open overrides: both windows; another day's override does not matter
    two = [
        Override(MON, False, time(8), time(9)),
        Override(MON, False, time(17), time(18)),
        Override(MON + timedelta(days=1), True),
    ]
    assert walls(slots(overrides=two)) == ["08:00", "17:00"]


def test_overlapping_windows_do_not_duplicate_slots():
    rules = [Rule(0, time(9), time(11), frozenset({"svc"})), Rule(0, time(10), time(12), None)]
    assert walls(slots(rules=rules)) == ["09:00", "10:00", "11:00"]


def test_windows_for():
    rules = [Rule(0, time(9), time(12))]
    assert windows_for(MON, "svc", rules, []) == [(time(9), time(12))]
    assert windows_for(MON, "svc", rules, [Override(MON, True)]) == []


# --- daylight saving -------------------------------------------------------------------------

SPRING = date(2026, 3, 29)  # Europe/Paris: 02:00 CET → 03:00 CEST
FALL = date(2026, 10, 25)  # Europe/Paris: 03:00 CEST → 02:00 CET


def test_nine_oclock_is_nine_oclock_on_both_sides_of_spring_forward():
    rules = [Rule(d, time(9), time(10)) for d in range(7)]
    result = slots(rules=rules, first=SPRING - timedelta(days=1), last=SPRING + timedelta(days=1))
    assert walls(result) == ["09:00"] * 3
    assert [s.start.astimezone(UTC).hour for s in result] == [8, 7, 7]
    assert [s.start.utcoffset() for s in result] == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]


def test_nine_oclock_is_nine_oclock_on_both_sides_of_fall_back():
    rules = [Rule(d, time(9), time(10)) for d in range(7)]
    result = slots(rules=rules, first=FALL - timedelta(days=1), last=FALL + timedelta(days=1))
    assert walls(result) == ["09:00"] * 3
    assert [s.start.astimezone(UTC).hour for s in result] == [7, 8, 8]


def test_nonexistent_wall_times_are_skipped():
    service = spec(duration_minutes=30)
    result = slots(rules=[Rule(6, time(1), time(5))], first=SPRING, service=service)
    assert walls(result) == ["01:00", "01:30", "03:00", "03:30", "04:00", "04:30"]
    # 01:30 lasts 30 real minutes: it ends at 03:00 summer time
    # (aware datetimes of one zone subtract as wall times: compare on the UTC line)
    assert result[1].end.strftime("%H:%M%z") == "03:00+0200"
    assert result[1].end.astimezone(UTC) - result[1].start.astimezone(UTC) == timedelta(minutes=30)
    starts = [s.start.astimezone(UTC) for s in result]
    assert starts == sorted(set(starts))


def test_window_end_is_elapsed_time_across_the_gap():
    # 01:00-04:00 on spring-forward night is two real hours: two one-hour slots fit, not three
    result = slots(rules=[Rule(6, time(1), time(4))], first=SPRING)
    assert walls(result) == ["01:00", "03:00"]


def test_ambiguous_wall_times_use_the_first_occurrence():
    service = spec(duration_minutes=30)
    result = slots(rules=[Rule(6, time(1), time(4))], first=FALL, service=service)
    assert walls(result) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    by_wall = {s.start.strftime("%H:%M"): s for s in result}
    assert by_wall["02:00"].start.utcoffset() == timedelta(hours=2)  # summer time: fold=0
    assert by_wall["02:00"].start.astimezone(UTC) == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    # the repeated hour (01:00-02:00 UTC) is not offered a second time
    repeated = (datetime(2026, 10, 25, 1, tzinfo=UTC), datetime(2026, 10, 25, 2, tzinfo=UTC))
    assert not [s for s in result if repeated[0] <= s.start < repeated[1]]
    assert by_wall["03:00"].start.astimezone(UTC) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


def test_wall_to_utc():
    assert wall_to_utc(SPRING, time(2, 30), PARIS)[1] is False
    assert wall_to_utc(SPRING, time(3, 0), PARIS) == (datetime(2026, 3, 29, 1, tzinfo=UTC), True)
    assert wall_to_utc(FALL, time(2, 30), PARIS) == (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), True)


def test_new_york_spring_forward():
    day = date(2026, 3, 8)  # 02:00 EST → 03:00 EDT
    result = slots(rules=[Rule(6, time(0), time(4))], first=day, tz=NEW_YORK)
    assert walls(result) == ["00:00", "01:00", "03:00"]
    assert walls(
        slots(
            rules=[Rule(d, time(9), time(10)) for d in range(7)], first=day - timedelta(days=1), last=day, tz=NEW_YORK
        )
    ) == ["09:00", "09:00"]


def test_minimum_notice_in_elapsed_time_across_dst():
    now = local(SPRING, "01:30").astimezone(UTC)
    result = slots(rules=[Rule(6, time(1), time(6))], first=SPRING, now=now, service=spec(min_notice_minutes=60))
    # one real hour after 01:30 CET is 03:30 CEST
    assert walls(result) == ["04:00", "05:00"]


# --- spare capacity (staff) and the peak, against brute force ----------------------------------


def test_spare_capacity():
    service = spec(buffer_before_minutes=10)
    busy = {"r1": Busy([(local(MON, "18:00"), local(MON, "19:00"))])}
    assert spare_capacity(service, local(MON, "20:00"), busy, {"r1": 1}) == 1  # outside hours is fine for staff
    assert spare_capacity(service, local(MON, "19:05"), busy, {"r1": 1}) == 0  # its buffer reaches back to 18:55
    assert spare_capacity(service, local(MON, "19:10"), busy, {"r1": 1}) == 1
    assert spare_capacity(service, local(MON, "19:10"), busy, {}) == 0


@pytest.mark.parametrize("seed", range(25))
def test_peak_matches_brute_force(seed):
    rng = random.Random(seed)
    base = datetime(2026, 6, 1, tzinfo=UTC)
    intervals = []
    for _ in range(rng.randint(0, 30)):
        s = rng.randint(0, 600)
        intervals.append((base + timedelta(minutes=s), base + timedelta(minutes=s + rng.randint(5, 240))))
    busy = Busy(list(intervals))
    for _ in range(40):
        lo = rng.randint(0, 700)
        hi = lo + rng.randint(1, 180)
        expected = max(
            (sum(1 for s, e in intervals if s <= base + timedelta(minutes=m) < e) for m in range(lo, hi)), default=0
        )
        assert busy.peak(base + timedelta(minutes=lo), base + timedelta(minutes=hi)) == expected


@pytest.mark.parametrize("seed", range(10))
def test_offered_slots_never_exceed_capacity(seed):
    """Whatever is booked, booking any offered slot keeps every minute within capacity."""
    rng = random.Random(seed)
    capacity = rng.randint(1, 3)
    service = spec(
        duration_minutes=rng.choice([15, 30, 45, 60]),
        slot_interval_minutes=15,
        buffer_before_minutes=rng.choice([0, 5, 15]),
        buffer_after_minutes=rng.choice([0, 10]),
    )
    day_start = local(MON, "08:00")
    intervals = []
    for _ in range(rng.randint(0, 12)):
        s = day_start + timedelta(minutes=5 * rng.randint(0, 120))
        intervals.append((s, s + timedelta(minutes=5 * rng.randint(1, 24))))
    result = slots(
        rules=[Rule(0, time(9), time(17))], service=service, busy={"r1": Busy(intervals)}, capacities={"r1": capacity}
    )
    offered = {s.start for s in result}
    for minute in range(0, 8 * 60, 15):
        start = local(MON, "09:00") + timedelta(minutes=minute)
        if start + service.duration > local(MON, "17:00"):
            continue
        lo, hi = service.occupied(start)
        worst = max(
            sum(1 for s, e in intervals if s <= lo + timedelta(minutes=m) < e)
            for m in range(int((hi - lo).total_seconds() // 60))
        )
        assert (start in offered) == (worst < capacity), (start, worst, capacity)
        if start in offered:
            assert next(s for s in result if s.start == start).remaining == capacity - worst


@pytest.mark.parametrize("seed", range(12))
def test_is_available_agrees_with_available_slots(seed):
    """One start checked alone is offered exactly when the whole day's list offers it, DST days included."""
    rng = random.Random(seed)
    day = rng.choice([MON, SPRING, FALL, date(2026, 3, 8), date(2026, 11, 1)])
    tz = rng.choice([PARIS, NEW_YORK])
    service = spec(
        duration_minutes=rng.choice([15, 30, 60]),
        slot_interval_minutes=rng.choice([None, 15, 20]),
        buffer_before_minutes=rng.choice([0, 10]),
        buffer_after_minutes=rng.choice([0, 5]),
        min_notice_minutes=rng.choice([0, 120]),
    )
    rules = [
        Rule(day.weekday(), time(rng.randint(0, 3), 0), time(rng.randint(4, 6), rng.choice([0, 30]))),
        Rule(day.weekday(), time(9), time(12)),
    ]
    overrides = [Override(day, False, time(1), time(4))] if rng.random() < 0.3 else []
    day_start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    intervals = []
    for _ in range(rng.randint(0, 10)):
        s = day_start + timedelta(minutes=15 * rng.randint(0, 60))
        intervals.append((s, s + timedelta(minutes=15 * rng.randint(1, 8))))
    inputs = dict(
        rules=rules,
        overrides=overrides,
        busy={"r1": Busy(intervals)},
        capacities={"r1": 2},
        service=service,
        now=day_start + timedelta(hours=rng.choice([-48, 2, 4])),
        tz=tz,
    )
    # On the UTC line: an ambiguous (fall-back) time never equals a time of another zone (PEP 495).
    offered = {s.start.astimezone(UTC) for s in available_slots(first_day=day, last_day=day, **inputs)}
    for minute in range(0, 24 * 60 + 120, 5):
        start = day_start + timedelta(minutes=minute)
        assert is_available(start=start, **inputs) == (start in offered), start
