"""The other event types a receiver can subscribe to: inventory, alerts, customer messages."""

from __future__ import annotations

from tests.bookings.factories import Bookable
from tests.inventory.conftest import adjust, make_item
from tests.webhooks.conftest import create_endpoint


def test_low_stock_sends_inventory_low_and_alert_raised(app, owner, receiver):
    endpoint = create_endpoint(owner, receiver.url, events=["inventory.low", "alert.raised"])
    item = make_item(owner, name="Gloves", unit="pair", quantity=5, low_stock_threshold=3)
    adjust(owner, item["id"], -2)

    bodies = [receiver.verified(endpoint["secret"], i) for i in range(len(receiver.requests))]
    [low] = [b["data"] for b in bodies if b["type"] == "inventory.low"]
    assert low["item"] == {
        "id": item["id"],
        "name": "Gloves",
        "unit": "pair",
        "quantity": 3.0,
        "low_stock_threshold": 3.0,
    }
    assert (low["quantity"], low["threshold"]) == (3.0, 3.0)
    # The low-stock alert (and any other alert raised on the way) is announced too.
    alerts = {b["data"]["alert"]["kind"]: b["data"]["alert"] for b in bodies if b["type"] == "alert.raised"}
    assert alerts["low_inventory"]["entity_id"] == item["id"]
    assert alerts["low_inventory"]["link"] == f"/api/v1/inventory/{item['id']}"
    assert {b["type"] for b in bodies} == {"inventory.low", "alert.raised"}


def test_a_customer_message_sends_message_received(app, owner, client, receiver):
    bookable = Bookable(app, owner)
    endpoint = create_endpoint(owner, receiver.url, events=["message.received", "contact.created"])
    sent = client.post(
        f"/api/v1/public/{bookable.slug}/contact",
        json={"name": "Eve", "email": "eve@example.com", "message": "Do you open on Sundays?"},
    )
    assert sent.status_code == 201, sent.get_json()
    bodies = [receiver.verified(endpoint["secret"], i) for i in range(len(receiver.requests))]
    by_type = {b["type"]: b["data"] for b in bodies}
    assert set(by_type) == {"contact.created", "message.received"}
    message = by_type["message.received"]["message"]
    assert message["body"] == "Do you open on Sundays?" and message["direction"] == "in"
    assert message["contact_id"] == by_type["contact.created"]["contact"]["id"]
    assert message["conversation_id"]


def test_a_failing_endpoint_raises_an_alert_that_other_endpoints_hear_of(app, owner, receiver):
    from careops.webhooks.delivery import RETRY_DELAYS
    from tests.webhooks.conftest import create_contact, deliveries, retry

    receiver.statuses = [500] * len(RETRY_DELAYS) + [500]
    failing = create_endpoint(owner, receiver.url)
    create_contact(owner)
    watcher = create_endpoint(owner, receiver.url, events=["alert.raised"])
    [delivery] = deliveries(owner, failing["id"])
    for _ in RETRY_DELAYS:
        retry(app, delivery["id"])
    [raised] = deliveries(owner, watcher["id"])
    assert raised["event_type"] == "alert.raised" and raised["status"] == "succeeded"
    body = receiver.verified(watcher["secret"])
    assert body["data"]["alert"]["kind"] == "integration_error"
    assert body["data"]["alert"]["entity_id"] == failing["id"]
