"""The ``intermittent_tsb`` inventory forecaster: Croston's method, TSB variant, in numpy.

Demand is turned into a daily series (use per day, over the item's history
up to :data:`HISTORY_DAYS`). Two exponentially smoothed estimates run over it:

- ``z`` — the size of a day's use, updated only on days with use (``alpha``);
- ``p`` — the probability that a day has any use, updated every day (``beta``).

The forecast use per day is ``p · z`` (Teunter, Syntetos & Babai 2011). Both
are initialised from the first weeks of history. Booked use already in the
calendar is a floor: the forecast never expects less than what is booked.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from careops import hookimpl

HISTORY_DAYS = 365
ALPHA = 0.1  # demand size: slow, sizes of an item's uses are stable
BETA = 0.05  # probability of use: slower still, a few quiet days are no trend
INIT_DAYS = 28


def daily_series(movements, now, history_days: int = HISTORY_DAYS) -> np.ndarray:
    """Use per day (positive numbers), oldest first, ending the day before ``now``."""
    uses = [(m[0], -float(m[1])) for m in movements if float(m[1]) < 0 and m[0] <= now]
    if not uses:
        return np.zeros(0)
    first = max(min(at for at, _ in uses), now - timedelta(days=history_days))
    length = int((now - first).total_seconds() // 86400) + 1
    series = np.zeros(length)
    for at, amount in uses:
        index = length - 1 - int((now - at).total_seconds() // 86400)
        if 0 <= index < length:
            series[index] += amount
    return series


def tsb(series: np.ndarray, alpha: float = ALPHA, beta: float = BETA) -> float:
    """TSB's forecast of use per day for ``series`` (0 when nothing was ever used)."""
    nonzero = series[series > 0]
    if nonzero.size == 0:
        return 0.0
    head = series[:INIT_DAYS]
    z = float(head[head > 0].mean()) if (head > 0).any() else float(nonzero[0])
    p = float((head > 0).mean()) if head.size else 0.0
    for demand in series:
        if demand > 0:
            z += alpha * (demand - z)
            p += beta * (1 - p)
        else:
            p += beta * (0 - p)
    return p * z


class IntermittentForecaster:
    name = "intermittent_tsb"

    def forecast(self, item, movements, upcoming_usage: float, days: int) -> dict:
        now = getattr(item, "now", None) or max((m[0] for m in movements), default=None)
        rate = tsb(daily_series(movements, now)) if now is not None else 0.0
        expected = max(rate * days, float(upcoming_usage))
        quantity = float(item.quantity)
        per_day = expected / days if days else 0.0
        return {
            "expected_use": round(expected, 2),
            "days_until_empty": None if per_day <= 0 else round(quantity / per_day, 1),
            "reorder_suggested": quantity - expected <= float(item.low_stock_threshold),
            "method": self.name,
        }


@hookimpl
def careops_inventory_forecasters():
    return [IntermittentForecaster()]
