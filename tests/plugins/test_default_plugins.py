"""The core's own plugins: each hook they implement, answered as a third party's would be."""

from __future__ import annotations

import importlib.metadata
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from careops import plugins
from careops.default_plugins.moving_average import WINDOW_DAYS, MovingAverageForecaster
from careops.messaging import CommunicationProvider, OutboundMessage
from careops.tasks import huey
from careops.workspaces.schemas import FIELD_TYPES


def test_every_default_plugin_is_loaded_with_the_core_version(app):
    described = {p["name"]: p for p in plugins.describe()}
    version = importlib.metadata.version("careops")
    for name in plugins.DEFAULT_PLUGINS:
        assert described[name]["version"] == version and described[name]["hooks"], name


def test_careops_communication_providers_offers_console(app, caplog):
    providers = {p.name: p for p in plugins.collect(plugins.hook().careops_communication_providers())}
    console = providers["console"]
    assert issubclass(console, CommunicationProvider) and set(console.channels) == {"email", "sms"}
    with caplog.at_level("INFO", logger="careops.console"):
        provider_id = console().send(OutboundMessage(channel="sms", to="+14155550100", body="Hello from the test"))
    assert provider_id
    assert "Hello from the test" in caplog.text and "+14155550100" in caplog.text


def test_careops_form_packs_offers_basic(app):
    packs = {p["key"]: p for p in plugins.collect(plugins.hook().careops_form_packs())}
    basic = packs["basic"]
    assert basic["name"] and basic["description"] and len(basic["templates"]) >= 2
    for template in basic["templates"]:
        assert template["name"] and template["due_after_hours"] > 0
        keys = [f["key"] for f in template["fields"]]
        assert len(keys) == len(set(keys))
        assert all(f["type"] in FIELD_TYPES and f["label"] for f in template["fields"])


def item(quantity, threshold=2):
    return SimpleNamespace(quantity=quantity, low_stock_threshold=threshold)


def test_careops_inventory_forecasters_offers_moving_average(app):
    forecasters = {f.name: f for f in plugins.collect(plugins.hook().careops_inventory_forecasters())}
    assert isinstance(forecasters["moving_average"], MovingAverageForecaster)


def test_moving_average_projects_recent_use():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    # 56 units used over the window (2 a day), one restock that does not count, one use too old to count.
    movements = [(now - timedelta(days=d), -2) for d in range(WINDOW_DAYS)] + [
        (now - timedelta(days=3), +40),
        (now - timedelta(days=WINDOW_DAYS + 5), -100),
    ]
    result = MovingAverageForecaster().forecast(item(30), movements, upcoming_usage=0, days=30)
    assert result == {
        "expected_use": 60.0,
        "days_until_empty": 15.0,
        "reorder_suggested": True,
        "method": "moving_average",
    }


def test_moving_average_uses_booked_usage_when_it_is_larger():
    result = MovingAverageForecaster().forecast(item(100), [], upcoming_usage=45, days=30)
    assert result["expected_use"] == 45.0 and result["days_until_empty"] == pytest.approx(66.7)
    assert result["reorder_suggested"] is False


def test_moving_average_without_use_never_empties():
    result = MovingAverageForecaster().forecast(item(5), [], upcoming_usage=0, days=30)
    assert result["expected_use"] == 0 and result["days_until_empty"] is None and result["reorder_suggested"] is False


def test_careops_periodic_tasks_registers_housekeeping_in_huey(app):
    periodic = {f"{t.__module__}.{t.__name__}" for t in huey._registry._periodic_tasks}
    assert "careops.default_plugins.core_tasks.purge_revoked_tokens" in periodic
    assert "careops.events_tasks.sweep_outbox" in periodic


def test_core_cli_commands_are_listed(app):
    help_text = app.test_cli_runner().invoke(args=["careops", "--help"]).output
    for command in ("worker", "plugins", "create-owner", "demo"):
        assert command in help_text


def test_plugins_endpoint_is_paginated(owner):
    response = owner.get("/api/v1/plugins", query_string={"page_size": 2})
    assert response.status_code == 200 and len(response.get_json()) == 2
    assert json.loads(response.headers["X-Pagination"])["total"] == len(plugins.describe())
