"""The intermittent-demand forecaster, installed as a distribution, answering through /inventory/forecast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from careops_forecast_intermittent import IntermittentForecaster, daily_series, tsb

from tests.inventory.conftest import URL, backdate, make_item


def test_hook_careops_inventory_forecasters_offers_it_through_its_entry_point(owner):
    available = owner.get(f"{URL}/forecasters").get_json()["available"]
    assert "intermittent_tsb" in available


def test_hook_careops_inventory_forecasters_through_the_forecast_endpoint(app, owner, make_staff):
    sutures = make_item(owner, name="Sutures", unit="box", quantity=6, low_stock_threshold=1)
    steady = make_item(owner, name="Wipes", unit="pack", quantity=50, low_stock_threshold=5)
    # Sutures: a box every ten days or so; wipes: one pack every day.
    backdate(app, sutures["id"], [(200, 20)] + [(d + 0.5, -1) for d in range(3, 180, 10)])
    backdate(app, steady["id"], [(200, 100)] + [(d + 1 / 24, -1) for d in range(120)])
    assert owner.put(f"{URL}/forecasters", json={"method": "intermittent_tsb"}).status_code == 200
    rows = {r["name"]: r for r in make_staff(owner, inventory=True).get(f"{URL}/forecast?days=30").get_json()}
    assert {r["method"] for r in rows.values()} == {"intermittent_tsb"}
    assert rows["Sutures"]["expected_use"] == pytest.approx(3.0, abs=0.6)
    assert rows["Sutures"]["days_until_empty"] == pytest.approx(60, abs=12)
    assert rows["Wipes"]["expected_use"] == pytest.approx(30.0, abs=0.01)
    assert rows["Wipes"]["reorder_suggested"] is False
    # The moving average, asked for comparison, sees the same history differently.
    average = {r["name"]: r for r in owner.get(f"{URL}/forecast?days=30&method=moving_average").get_json()}
    assert average["Sutures"]["method"] == "moving_average"


def test_an_item_no_longer_used_fades_out():
    now = datetime(2026, 6, 1, tzinfo=UTC)
    busy_then_quiet = [(now - timedelta(days=d), -2) for d in range(90, 200, 2)]
    series = daily_series(busy_then_quiet, now)
    assert series.sum() == 2 * len(busy_then_quiet) and series[-89:].sum() == 0
    # Classic Croston would keep forecasting a use every other day; TSB's probability decays.
    assert tsb(series) < 0.1 * tsb(series[:-89])


def test_no_use_means_no_forecast():
    item = SimpleNamespace(quantity=4, low_stock_threshold=1, now=datetime(2026, 6, 1, tzinfo=UTC))
    result = IntermittentForecaster().forecast(item, [], upcoming_usage=0, days=30)
    assert result == {
        "expected_use": 0,
        "days_until_empty": None,
        "reorder_suggested": False,
        "method": "intermittent_tsb",
    }
    assert tsb(np.zeros(10)) == 0.0
    booked = IntermittentForecaster().forecast(item, [], upcoming_usage=5, days=30)
    assert booked["expected_use"] == 5 and booked["reorder_suggested"] is True


def test_loading_the_plugin_leaves_numpy_unimported():
    """numpy is ~15 MB of a web worker: imported with the first forecast, not with the plugin."""
    import subprocess
    import sys

    code = (
        "import sys, careops_forecast_intermittent as p; assert 'numpy' not in sys.modules; "
        "p.IntermittentForecaster(); assert 'numpy' not in sys.modules; "
        "p.tsb; assert 'numpy' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
