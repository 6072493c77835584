"""Concurrent adjustments and completions against 3 gunicorn workers: never below zero, no lost update.

Runs on the test session's database: SQLite by default (``BEGIN IMMEDIATE``),
PostgreSQL when ``CAREOPS_TEST_DATABASE_URL`` is set (``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from careops.extensions import db
from careops.inventory.models import BookingDeduction, InventoryItem, StockMovement
from tests.bookings.test_live_concurrency import LiveWorkspace, fire
from tests.live import LiveServer, server_env

pytestmark = pytest.mark.live
WORKERS = 3


@pytest.fixture
def start_server(app, app_config, tmp_path):
    """Like :func:`tests.live.start_server`, with patience: on a loaded machine 3 workers take long to boot."""
    servers: list[LiveServer] = []

    def start() -> str:
        servers.append(LiveServer(server_env(app_config), workers=WORKERS, log_path=tmp_path / "gunicorn.log"))
        return servers[-1].start(timeout=180)

    yield start
    for server in servers:
        server.stop()


def ledger(app, item_id: str) -> tuple[Decimal, list[tuple[Decimal, Decimal]]]:
    """The item's quantity and its movements (delta, quantity_after) in ledger order."""
    with app.app_context():
        item = db.session.get(InventoryItem, item_id)
        rows = db.session.execute(
            sa.select(StockMovement.delta, StockMovement.quantity_after)
            .where(StockMovement.item_id == item_id)
            .order_by(StockMovement.sequence)
        ).all()
        return item.quantity, [tuple(r) for r in rows]


def assert_consistent(quantity, movements):
    """Each movement starts where the previous ended, none below zero, and they sum to the quantity."""
    running = Decimal(0)
    for delta, after in movements:
        running += delta
        assert after == running and after >= 0, movements
    assert running == quantity


def create_item(ws: LiveWorkspace, **fields) -> str:
    response = requests.post(
        f"{ws.base}/api/v1/inventory",
        headers=ws.headers,
        timeout=60,
        json={"name": "Gloves", "low_stock_threshold": 0, **fields},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_concurrent_uses_never_take_stock_below_zero(app, start_server):
    base = start_server()
    ws = LiveWorkspace(app, base, capacity=1)
    item_id = create_item(ws, quantity=10)
    url = f"{base}/api/v1/inventory/{item_id}/adjust"
    results = fire(
        24, lambda i, http: http.post(url, headers=ws.headers, timeout=120, json={"delta": -1, "reason": f"use {i}"})
    )
    codes = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert codes == [200] * 10 + [409] * 14, codes
    assert all(r.json()["error_code"] == "INSUFFICIENT_STOCK" for r in results if r.status_code == 409)
    quantity, movements = ledger(app, item_id)
    assert quantity == 0 and len(movements) == 11
    assert_consistent(quantity, movements)


def test_concurrent_restocks_and_uses_lose_no_update(app, start_server):
    base = start_server()
    ws = LiveWorkspace(app, base, capacity=1)
    item_id = create_item(ws, quantity=100)
    url = f"{base}/api/v1/inventory/{item_id}/adjust"
    deltas = [2.5 if i % 3 == 0 else -1.25 for i in range(30)]
    results = fire(
        30,
        lambda i, http: http.post(
            url, headers=ws.headers, timeout=120, json={"delta": deltas[i], "reason": f"move {i}"}
        ),
    )
    assert [getattr(r, "status_code", repr(r)) for r in results] == [200] * 30
    quantity, movements = ledger(app, item_id)
    assert quantity == Decimal(100) + sum(Decimal(str(d)) for d in deltas) and len(movements) == 31
    assert_consistent(quantity, movements)


def test_concurrent_completions_share_the_stock_and_each_deducts_once(app, start_server):
    base = start_server()
    ws = LiveWorkspace(app, base, capacity=8)
    api = f"{base}/api/v1"
    item_id = create_item(ws, quantity=5)
    assert (
        requests.patch(
            f"{api}/services/{ws.service_id}",
            headers=ws.headers,
            timeout=60,
            json={"inventory_usage": [{"item_id": item_id, "quantity": 1}]},
        ).status_code
        == 200
    )
    booking_ids = []
    for i in range(8):
        made = requests.post(
            f"{api}/bookings",
            headers=ws.headers,
            timeout=60,
            json={
                "service_id": ws.service_id,
                "start": ws.start("10:00"),
                "contact": {"name": f"Client {i}", "email": f"client{i}@example.com"},
            },
        )
        assert made.status_code == 201, made.text
        booking_ids.append(made.json()["id"])
    # Every booking completed twice at once: 16 requests, 8 completions, 5 units to share.
    results = fire(
        16,
        lambda i, http: http.post(
            f"{api}/bookings/{booking_ids[i % 8]}/status", timeout=120, headers=ws.headers, json={"status": "completed"}
        ),
    )
    codes = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert codes == [200] * 8 + [409] * 8, codes
    quantity, movements = ledger(app, item_id)
    assert quantity == 0 and len(movements) == 6
    assert_consistent(quantity, movements)
    with app.app_context():
        rows = db.session.execute(
            sa.select(BookingDeduction.booking_id, BookingDeduction.deducted).where(BookingDeduction.item_id == item_id)
        ).all()
    assert sorted(b for b, _ in rows) == sorted(booking_ids)
    assert sorted(d for _, d in rows) == [0] * 3 + [1] * 5
