"""Alerts raised by other domains through raise_alert/resolve_for: one per entity, a working link, the right staff."""

import pytest

from tests.alerts.helpers import alerts, open_alerts
from tests.conftest import assert_error

pytest.importorskip("careops.inventory.service")


def adjust(owner, item_id, delta):
    response = owner.post(f"/api/v1/inventory/{item_id}/adjust", json={"delta": delta, "reason": "count"})
    assert response.status_code == 200, response.get_json()


def test_stock_alerts_link_to_the_item_and_clear_on_refill(owner, make_staff):
    response = owner.post("/api/v1/inventory", json={"name": "Gloves", "quantity": 10, "low_stock_threshold": 3})
    assert response.status_code == 201, response.get_json()
    item_id = response.get_json()["id"]
    adjust(owner, item_id, -8)
    [low] = open_alerts(owner.workspace_id, "low_inventory")
    assert low.entity_id == item_id
    assert owner.get(low.link).get_json()["id"] == item_id
    adjust(owner, item_id, -2)
    [out] = open_alerts(owner.workspace_id, "out_of_stock")
    assert out.severity == "critical" and owner.get(out.link).status_code == 200

    stock_staff, inbox_staff = make_staff(owner, inventory=True), make_staff(owner, inbox=True)
    assert {a["kind"] for a in stock_staff.get("/api/v1/alerts?status=open").get_json()} >= {"out_of_stock"}
    assert stock_staff.get(out.link).status_code == 200
    assert [a for a in inbox_staff.get("/api/v1/alerts").get_json() if a["entity_id"] == item_id] == []
    assert_error(inbox_staff.post(f"/api/v1/alerts/{out.id}/resolve"), 404)

    adjust(owner, item_id, 20)
    assert [a.status for a in alerts(owner.workspace_id, "out_of_stock")] == ["resolved"]
    assert all(a.status == "resolved" for a in alerts(owner.workspace_id, "low_inventory"))
