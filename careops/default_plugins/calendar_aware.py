"""The ``calendar_aware`` inventory forecaster, the core's default: a booking business knows its future.

A clinic's stock goes mostly into booked appointments, and most of the next
weeks' appointments are already in the calendar. So the expected use of each
day ahead is the sum of three parts:

1. **booked** — the usage of the pending and confirmed bookings already on
   that day (``item.upcoming_daily``, from the calendar);
2. **still to be booked** — bookings keep arriving until the day itself: the
   ledger's booking deductions of the last weeks give a daily rate per weekday,
   and their *lead times* (how long before the appointment each was booked)
   give the share of that rate not yet in the calendar ``d`` days ahead
   (``1 − S(d)``, with ``S`` the share of booking use booked at least ``d``
   days ahead). Tomorrow is nearly full already; a day a month away is not;
3. **unscheduled** — use that no booking explains (walk-ins, waste, cleaning):
   the ledger's negative movements that are not booking deductions, as a daily
   rate per weekday.

Weekday rates are shrunk halfway to the overall rate: eight weeks give eight
samples per weekday, too few to trust alone. The history window is the last
:data:`WINDOW_DAYS` days, or the item's whole history when it is younger (but
at least a week), so a new item is not diluted with days it did not exist.
Cancellations of booked appointments are not discounted: the ledger does not
see them. ``days_until_empty`` walks the days ahead; beyond the horizon it
continues at the steady daily rate.
"""

from __future__ import annotations

from datetime import timedelta

from careops.hookspecs import hookimpl

WINDOW_DAYS = 56
MIN_WINDOW_DAYS = 7
WEEKDAY_WEIGHT = 0.5


def weekday_rates(events, days: float) -> list[float]:
    """Daily rate per weekday (Monday = 0) of ``[(at, amount)]`` seen over the last ``days`` days."""
    total = sum(amount for _, amount in events)
    overall = total / days
    weeks = days / 7
    per_weekday = [0.0] * 7
    for at, amount in events:
        per_weekday[at.weekday()] += amount
    return [WEEKDAY_WEIGHT * (per_weekday[w] / weeks) + (1 - WEEKDAY_WEIGHT) * overall for w in range(7)]


def share_booked_ahead(leads: list[tuple[float, float]], days_ahead: float) -> float:
    """S(d): the share of booking use that was booked at least ``days_ahead`` days before the appointment."""
    total = sum(amount for _, amount in leads)
    if total <= 0:
        return 1.0
    return sum(amount for lead, amount in leads if lead >= days_ahead) / total


class CalendarAwareForecaster:
    name = "calendar_aware"

    def forecast(self, item, movements, upcoming_usage: float, days: int) -> dict:
        """See :mod:`careops.inventory.forecasting` for ``item`` and ``movements``."""
        now = item.now
        first = min((m.at for m in movements), default=now)
        window = min(WINDOW_DAYS, max(MIN_WINDOW_DAYS, (now - first).total_seconds() / 86400))
        since = now - timedelta(days=window)
        recent = [m for m in movements if since <= m.at <= now and m.delta < 0]
        booked_use = [(m.at, -float(m.delta)) for m in recent if m.booking_id]
        other_use = [(m.at, -float(m.delta)) for m in recent if not m.booking_id]
        leads = [(m.lead_days, -float(m.delta)) for m in recent if m.booking_id and m.lead_days is not None]
        booking_rate = weekday_rates(booked_use, window)
        other_rate = weekday_rates(other_use, window)
        calendar = list(item.upcoming_daily or [])
        daily = []
        for k in range(days):
            weekday = (now + timedelta(days=k + 0.5)).weekday()
            booked = calendar[k] if k < len(calendar) else 0.0
            not_yet_booked = booking_rate[weekday] * (1 - share_booked_ahead(leads, k + 0.5))
            daily.append(booked + not_yet_booked + other_rate[weekday])
        expected = sum(daily)
        steady = (sum(booking_rate) + sum(other_rate)) / 7
        quantity = float(item.quantity)
        return {
            "expected_use": round(expected, 2),
            "days_until_empty": days_until_empty(quantity, daily, steady),
            "reorder_suggested": quantity - expected <= float(item.low_stock_threshold),
            "method": self.name,
        }


def days_until_empty(quantity: float, daily: list[float], steady: float) -> float | None:
    """Days (to 0.1) until ``quantity`` is used up at ``daily`` use, then ``steady`` use; None if never."""
    left = quantity
    if left <= 0:
        return 0.0
    for k, use in enumerate(daily):
        if use >= left:
            return round(k + left / use, 1)
        left -= use
    if steady <= 0:
        return None
    return round(len(daily) + left / steady, 1)


@hookimpl
def careops_inventory_forecasters():
    return [CalendarAwareForecaster()]
