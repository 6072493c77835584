"""Backtest of the inventory forecasters on generated stock histories.

usage: python bench/forecast_backtest.py [--runs 30] [--seed 7]

For each item profile, each run generates a year of history (bookings with
lead times, cancellations and no-shows, the usage each completed booking
deducts, use by hand, restocks), hides the last 30 days, and asks each
forecaster for ``expected_use`` over those 30 days exactly as the API does:
the ledger before the cut-off and the calendar *as it stood at the cut-off*
(bookings made by then, not cancelled by then — some of them will still be
cancelled or missed). It prints per forecaster and profile:

- **MAE** of ``expected_use`` against the use that really happened;
- **MASE**: that MAE divided by the MAE of the naive forecast (the last 30
  days' use again) on the same runs — below 1 beats naive;
- **DUE err**: mean absolute error, in days, of ``days_until_empty`` for a
  shelf holding 20 days of average use at the cut-off (the truth walks the
  hidden days; "never" is counted as 120 days).

Profiles:

- ``steady_bookings``: a clinic's gloves — about 6 bookings a day, 2 pairs each, a little use by hand;
- ``intermittent``: sutures — a procedure booked about once a week, lumpy use by hand now and then;
- ``weekly_pattern``: massage oil — busy Monday–Tuesday, light Saturday, closed Sunday, growing 60 % over the year;
- ``restock_cycle``: cleaning spray — used by hand only (no booking uses it), delivered every three weeks.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins" / "careops-forecast-intermittent")]

from careops.default_plugins.calendar_aware import CalendarAwareForecaster  # noqa: E402
from careops.default_plugins.moving_average import MovingAverageForecaster  # noqa: E402
from careops.inventory.forecasting import ForecastItem, Movement  # noqa: E402

try:
    from careops_forecast_intermittent import IntermittentForecaster  # noqa: E402
except ImportError:  # numpy or the plugin missing: backtest the core's forecasters only
    IntermittentForecaster = None

HORIZON = 30
HISTORY = 365
NEVER = 120.0
START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday


@dataclass
class Profile:
    name: str
    bookings_per_day: tuple[float, ...]  # by weekday, Monday first
    use_per_booking: float
    lead_mean_days: float
    by_hand_per_day: float  # expected use by hand per day
    by_hand_chance: float  # probability that a day has use by hand
    growth: float = 0.0  # relative growth of bookings over the year
    restock_every: int | None = None


PROFILES = (
    Profile("steady_bookings", (6, 6, 6, 6, 6, 4, 0), 2, 6, 1.0, 0.6),
    Profile("intermittent", (0.15, 0.15, 0.15, 0.15, 0.15, 0.1, 0), 1, 10, 0.15, 0.05),
    Profile("weekly_pattern", (9, 8, 3, 3, 4, 2, 0), 15, 8, 5.0, 0.9, growth=0.6),
    Profile("restock_cycle", (0, 0, 0, 0, 0, 0, 0), 0, 7, 4.0, 0.85, restock_every=21),
)


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate(profile: Profile, rng: random.Random):
    """Movements of the whole simulated period, the bookings, and the true use per day."""
    days = HISTORY + HORIZON + 120
    bookings = []  # (created_at, start, cancelled_at or None, completed)
    use_per_day = [0.0] * days
    movements: list[Movement] = [Movement(START - timedelta(days=1), 10_000.0, None, None)]
    for day in range(days):
        level = 1 + profile.growth * min(day, HISTORY) / HISTORY
        weekday = (START + timedelta(days=day)).weekday()
        for _ in range(poisson(rng, profile.bookings_per_day[weekday] * level)):
            start = START + timedelta(days=day, hours=rng.uniform(9, 17))
            lead = rng.expovariate(1 / profile.lead_mean_days) if rng.random() > 0.15 else rng.uniform(0, 1)
            created = start - timedelta(days=lead)
            cancelled = created + (start - created) * rng.random() if rng.random() < 0.1 else None
            completed = cancelled is None and rng.random() > 0.05  # 5 % no-shows use nothing
            bookings.append((created, start, cancelled, completed))
            if completed and profile.use_per_booking:
                use_per_day[day] += profile.use_per_booking
                movements.append(
                    Movement(start + timedelta(hours=1), -profile.use_per_booking, f"b{len(bookings)}", lead)
                )
        if weekday != 6 and rng.random() < profile.by_hand_chance:
            amount = round(rng.expovariate(profile.by_hand_chance / profile.by_hand_per_day) + 0.5)
            use_per_day[day] += amount
            movements.append(Movement(START + timedelta(days=day, hours=18), -float(amount), None, None))
        if profile.restock_every and day % profile.restock_every == 0:
            movements.append(Movement(START + timedelta(days=day, hours=8), 100.0, None, None))
    movements.sort(key=lambda m: m.at)
    return movements, bookings, use_per_day


def calendar_at(bookings, cutoff: datetime, use_per_booking: float) -> list[float]:
    """Booked use per day ahead as the calendar showed it at ``cutoff``."""
    daily = [0.0] * HORIZON
    for created, start, cancelled, _ in bookings:
        if created <= cutoff < start < cutoff + timedelta(days=HORIZON) and (cancelled is None or cancelled > cutoff):
            daily[int((start - cutoff).total_seconds() // 86400)] += use_per_booking
    return daily


def true_days_until_empty(quantity: float, use_after: list[float]) -> float:
    left = quantity
    for k, use in enumerate(use_after):
        if use >= left:
            return k + left / use
        left -= use
    return NEVER


def forecasters() -> list:
    found = [MovingAverageForecaster(), CalendarAwareForecaster()]
    if IntermittentForecaster is not None:
        found.append(IntermittentForecaster())
    return found


def run(runs: int, seed: int) -> dict:
    errors: dict = {}
    for profile in PROFILES:
        for r in range(runs):
            rng = random.Random(f"{seed}:{profile.name}:{r}")
            movements, bookings, use_per_day = generate(profile, rng)
            cutoff = START + timedelta(days=HISTORY)
            past = [m for m in movements if m.at < cutoff and m.at >= cutoff - timedelta(days=HISTORY)]
            truth = sum(use_per_day[HISTORY : HISTORY + HORIZON])
            last_30 = sum(use_per_day[HISTORY - HORIZON : HISTORY])
            quantity = max(1.0, round(20 * sum(use_per_day[:HISTORY]) / HISTORY))
            true_due = true_days_until_empty(quantity, use_per_day[HISTORY:])
            upcoming = calendar_at(bookings, cutoff, profile.use_per_booking)
            naive_due = min(NEVER, quantity / (last_30 / HORIZON)) if last_30 else NEVER
            errors.setdefault(("truth", profile.name), []).append((truth, true_due))
            errors.setdefault(("naive", profile.name), []).append((abs(last_30 - truth), abs(naive_due - true_due)))
            for forecaster in forecasters():
                item = ForecastItem(
                    id="i",
                    name=profile.name,
                    unit="unit",
                    quantity=quantity,
                    low_stock_threshold=0,
                    now=cutoff,
                    upcoming_daily=upcoming,
                )
                answer = forecaster.forecast(item, past, sum(upcoming), HORIZON)
                due = answer["days_until_empty"]
                due = NEVER if due is None else min(NEVER, due)
                errors.setdefault((forecaster.name, profile.name), []).append(
                    (abs(answer["expected_use"] - truth), abs(due - true_due))
                )
    return errors


def table(errors: dict) -> str:
    names = ["naive"] + [f.name for f in forecasters()]
    lines = [f"{'forecaster':<18}{'profile':<17}{'MAE':>9}{'MASE':>7}{'DUE err':>9}", "-" * 60]
    for profile in PROFILES:
        naive_mae = statistics.fmean(e for e, _ in errors[("naive", profile.name)])
        use = statistics.fmean(t for t, _ in errors[("truth", profile.name)])
        due = statistics.fmean(d for _, d in errors[("truth", profile.name)])
        lines.append(f"{profile.name}: mean use in the hidden 30 days {use:.1f}, mean true days until empty {due:.1f}")
        for name in names:
            rows = errors[(name, profile.name)]
            mae = statistics.fmean(e for e, _ in rows)
            due = statistics.fmean(d for _, d in rows)
            mase = mae / naive_mae if naive_mae else float("nan")
            lines.append(f"{name:<18}{profile.name:<17}{mae:>9.1f}{mase:>7.2f}{due:>9.1f}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="generated histories per profile")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"{args.runs} runs per profile, {HORIZON}-day horizon after {HISTORY} days of history, seed {args.seed}\n")
    print(table(run(args.runs, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
