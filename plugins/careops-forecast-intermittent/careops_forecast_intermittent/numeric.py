"""The numbers of the ``intermittent_tsb`` forecaster: a daily use series and TSB over it, in numpy.

Imported when a forecast is first asked for, not when the plugin loads: numpy
is ~15 MB of every web worker's memory, and most workers never forecast.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

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
