"""Crossing the threshold: one alert with its link, one inventory_low event, one message; restock resolves."""

from __future__ import annotations

from tests.bookings.factories import enable_email, outbox
from tests.inventory.conftest import URL, adjust, alert_messages, alerts, make_item


def open_alerts(app, owner):
    return [(a.kind, a.link) for a in alerts(app, owner.workspace_id, status="open", entity_type="inventory_item")]


def test_crossing_alerts_once_and_restock_resolves(app, owner):
    enable_email(app, owner.workspace_id)
    owner.patch("/api/v1/workspace", json={"contact_email": "desk@clinic.example"})
    item = make_item(owner, name="Gloves", unit="pair", quantity=10, low_stock_threshold=3)
    link = f"/api/v1/inventory/{item['id']}"
    adjust(owner, item["id"], -6)
    assert open_alerts(app, owner) == [] and alert_messages(app, owner.workspace_id) == []
    assert adjust(owner, item["id"], -1).get_json()["is_low"] is True  # 3: at the threshold
    assert open_alerts(app, owner) == [("low_inventory", link)]
    listed = owner.get("/api/v1/alerts?status=open").get_json()
    assert listed[0]["kind"] == "low_inventory" and listed[0]["link"] == link
    assert listed[0]["entity_type"] == "inventory_item" and listed[0]["entity_id"] == item["id"]
    assert [(e["item_id"], e["quantity"], e["threshold"]) for e in outbox(app, "inventory_low")] == [
        (item["id"], 3.0, 3.0)
    ]
    messages = alert_messages(app, owner.workspace_id)
    assert [(m.to_address, m.subject, m.status) for m in messages] == [
        ("desk@clinic.example", "Low stock: Gloves", "sent")
    ]
    assert messages[0].body == "Gloves is down to 3 pair (threshold 3)."
    # Further use while low: no new alert, event or message.
    adjust(owner, item["id"], -1)
    assert open_alerts(app, owner) == [("low_inventory", link)]
    assert len(outbox(app, "inventory_low")) == 1 and len(alert_messages(app, owner.workspace_id)) == 1
    # Empty: out of stock replaces the low-stock alert (still the same crossing: no message).
    adjust(owner, item["id"], -2)
    assert open_alerts(app, owner) == [("out_of_stock", link)]
    assert len(alert_messages(app, owner.workspace_id)) == 1
    # Restock above the threshold resolves it; the next crossing alerts and writes again.
    adjust(owner, item["id"], 20, "delivery")
    assert open_alerts(app, owner) == []
    assert {a.status for a in alerts(app, owner.workspace_id, entity_type="inventory_item")} == {"resolved"}
    adjust(owner, item["id"], -18)
    assert open_alerts(app, owner) == [("low_inventory", link)]
    assert len(outbox(app, "inventory_low")) == 2
    assert [m.body for m in alert_messages(app, owner.workspace_id)][-1] == "Gloves is down to 2 pair (threshold 3)."
    assert len(alert_messages(app, owner.workspace_id)) == 2


def test_restock_that_stays_low_keeps_the_alert(app, owner):
    item = make_item(owner, quantity=5, low_stock_threshold=4)
    adjust(owner, item["id"], -2)
    adjust(owner, item["id"], 1)  # 4: still at the threshold
    assert open_alerts(app, owner) == [("low_inventory", f"/api/v1/inventory/{item['id']}")]
    assert len(alert_messages(app, owner.workspace_id)) == 1


def test_a_raised_threshold_is_a_crossing_and_the_message_goes_to_the_owner_without_contact_email(app, owner):
    item = make_item(owner, name="Wipes", quantity=8, low_stock_threshold=2)
    owner.patch(f"{URL}/{item['id']}", json={"low_stock_threshold": 10})
    assert open_alerts(app, owner) == [("low_inventory", f"/api/v1/inventory/{item['id']}")]
    assert [m.to_address for m in alert_messages(app, owner.workspace_id)] == [owner.user["email"]]
    owner.patch(f"{URL}/{item['id']}", json={"low_stock_threshold": 5})
    assert open_alerts(app, owner) == []


def test_an_item_typed_in_low_shows_an_alert_without_a_message(app, owner):
    low = make_item(owner, name="Masks", quantity=1, low_stock_threshold=5)
    empty = make_item(owner, name="Gauze", quantity=0, low_stock_threshold=0)
    assert sorted(open_alerts(app, owner)) == sorted(
        [("low_inventory", f"/api/v1/inventory/{low['id']}"), ("out_of_stock", f"/api/v1/inventory/{empty['id']}")]
    )
    assert alert_messages(app, owner.workspace_id) == [] and outbox(app, "inventory_low") == []
    owner.delete(f"{URL}/{low['id']}")
    assert open_alerts(app, owner) == [("out_of_stock", f"/api/v1/inventory/{empty['id']}")]


def test_rule_switched_off_sends_nothing_but_alerts(app, owner):
    assert owner.patch("/api/v1/automation/rules/inventory_alert", json={"enabled": False}).status_code == 200
    item = make_item(owner, quantity=4, low_stock_threshold=3)
    adjust(owner, item["id"], -1)
    assert open_alerts(app, owner) == [("low_inventory", f"/api/v1/inventory/{item['id']}")]
    assert alert_messages(app, owner.workspace_id) == []


def test_the_owners_template_is_used(app, owner):
    owner.patch(
        "/api/v1/automation/rules/inventory_alert",
        json={"template": "Order {item_name} for {business}: {quantity}/{threshold} {unit}"},
    )
    item = make_item(owner, name="Oil", unit="ml", quantity=100, low_stock_threshold=50)
    adjust(owner, item["id"], -50.5)
    business = owner.get("/api/v1/workspace").get_json()["name"]
    assert alert_messages(app, owner.workspace_id)[0].body == f"Order Oil for {business}: 49.5/50 ml"
