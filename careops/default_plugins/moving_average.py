"""The ``moving_average`` inventory forecaster: recent daily use, projected forward."""
from __future__ import annotations

from datetime import timedelta

from careops.hookspecs import hookimpl

WINDOW_DAYS = 28


class MovingAverageForecaster:
    name = "moving_average"

    def forecast(self, item, movements, upcoming_usage: float, days: int) -> dict:
        """``movements``: ``[(created_at, delta)]``; ``upcoming_usage``: use already booked in the horizon."""
        if movements:
            latest = max(at for at, _ in movements)
            since = latest - timedelta(days=WINDOW_DAYS)
            used = -sum(delta for at, delta in movements if delta < 0 and at >= since)
        else:
            used = 0
        daily = used / WINDOW_DAYS
        expected = max(daily * days, float(upcoming_usage))
        per_day = expected / days if days else 0
        days_until_empty = None if per_day <= 0 else round(item.quantity / per_day, 1)
        return {
            "expected_use": round(expected, 2),
            "days_until_empty": days_until_empty,
            "reorder_suggested": item.quantity - expected <= item.low_stock_threshold,
            "method": self.name,
        }


@hookimpl
def careops_inventory_forecasters():
    return [MovingAverageForecaster()]
