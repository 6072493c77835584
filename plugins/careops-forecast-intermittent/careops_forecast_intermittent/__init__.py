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

from careops import hookimpl

#: The names of :mod:`.numeric` this package still answers for (PEP 562, below).
_NUMERIC = ("HISTORY_DAYS", "ALPHA", "BETA", "INIT_DAYS", "daily_series", "tsb")


def __getattr__(name: str):
    # numpy is imported with the numeric module, on first use rather than at plugin load.
    if name in _NUMERIC:
        from careops_forecast_intermittent import numeric

        return getattr(numeric, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class IntermittentForecaster:
    name = "intermittent_tsb"

    def forecast(self, item, movements, upcoming_usage: float, days: int) -> dict:
        from careops_forecast_intermittent import numeric

        now = getattr(item, "now", None) or max((m[0] for m in movements), default=None)
        rate = numeric.tsb(numeric.daily_series(movements, now)) if now is not None else 0.0
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
