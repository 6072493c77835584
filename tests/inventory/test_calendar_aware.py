"""The calendar-aware forecaster on hand-made inputs: booked days, bookings still to come, unscheduled use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from careops.default_plugins.calendar_aware import CalendarAwareForecaster, days_until_empty
from careops.inventory.forecasting import ForecastItem, Movement

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)  # a Monday


def item(quantity=100.0, upcoming=None, threshold=0.0):
    return ForecastItem(
        id="i",
        name="Gel",
        unit="ml",
        quantity=quantity,
        low_stock_threshold=threshold,
        now=NOW,
        upcoming_daily=upcoming or [],
    )


def forecast(subject, movements, days=10):
    return CalendarAwareForecaster().forecast(subject, movements, sum(subject.upcoming_daily), days)


def test_booked_days_walk_to_empty():
    result = forecast(item(10, upcoming=[0, 4, 0, 4, 4, 0, 0, 0, 0, 0]), [])
    assert result == {
        "expected_use": 12.0,
        "days_until_empty": 4.5,
        "reorder_suggested": True,
        "method": "calendar_aware",
    }


def test_weekday_pattern_of_unscheduled_use():
    # Eight weeks of 7 units every Monday by hand, nothing else.
    history = [Movement(NOW - timedelta(days=7 * w, hours=1), -7.0, None, None) for w in range(8)]
    history.insert(0, Movement(NOW - timedelta(days=70), 100.0, None, None))
    result = forecast(item(100), history, days=7)
    # Shrunk halfway to the overall rate: Monday expects 0.5·7 + 0.5·1, the other days 0.5·1.
    assert result["expected_use"] == pytest.approx(4.0 + 6 * 0.5)


def test_bookings_still_to_come_follow_past_lead_times():
    # Eight weeks of one booking a day using 2, each booked exactly 3 days ahead.
    history = [Movement(NOW - timedelta(days=70), 100.0, None, None)]
    history += [Movement(NOW - timedelta(days=d, hours=2), -2.0, f"b{d}", 3.0) for d in range(56)]
    result = forecast(item(100), history, days=5)
    # Days 0–2 (less than 3 days ahead) are fully booked already; days 3 and 4 expect 2 each.
    assert result["expected_use"] == pytest.approx(4.0)


def test_a_young_item_is_not_diluted():
    history = [Movement(NOW - timedelta(days=14), 50.0, None, None)]
    history += [Movement(NOW - timedelta(days=d, hours=1), -1.0, None, None) for d in range(14)]
    assert forecast(item(50), history, days=7)["expected_use"] == pytest.approx(7.0, abs=0.1)


def test_days_until_empty_beyond_the_horizon_and_never():
    assert days_until_empty(10, [1, 1], 2) == 6.0
    assert days_until_empty(10, [0, 0], 0) is None
    assert days_until_empty(0, [1], 1) == 0.0
