"""The ``moving_average`` inventory forecaster: recent daily use, projected forward.

Kept as the simple baseline (and for workspaces that choose it): the use of
the last :data:`WINDOW_DAYS` days, spread evenly over the horizon, or the use
already booked in the horizon when that is larger. It does not look at when
bookings fall; :mod:`careops.default_plugins.calendar_aware` does.
"""

from __future__ import annotations

from datetime import timedelta

from careops.hookspecs import hookimpl

WINDOW_DAYS = 28


class MovingAverageForecaster:
    name = "moving_average"

    def forecast(self, item, movements, upcoming_usage: float, days: int) -> dict:
        """``movements``: ``[(at, delta, …)]``; ``upcoming_usage``: use already booked in the horizon.

        The window ends at ``item.now`` when the caller gives it, else at the latest movement.
        """
        if movements:
            latest = getattr(item, "now", None) or max(m[0] for m in movements)
            since = latest - timedelta(days=WINDOW_DAYS)
            used = -sum(m[1] for m in movements if m[1] < 0 and since <= m[0] <= latest)
        else:
            used = 0
        daily = float(used) / WINDOW_DAYS
        expected = max(daily * days, float(upcoming_usage))
        per_day = expected / days if days else 0
        quantity = float(item.quantity)
        days_until_empty = None if per_day <= 0 else round(quantity / per_day, 1)
        return {
            "expected_use": round(expected, 2),
            "days_until_empty": days_until_empty,
            "reorder_suggested": quantity - expected <= float(item.low_stock_threshold),
            "method": self.name,
        }


@hookimpl
def careops_inventory_forecasters():
    return [MovingAverageForecaster()]
