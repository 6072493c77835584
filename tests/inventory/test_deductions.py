"""Completing a booking deducts its service's usage exactly once, and never fails for lack of stock."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from careops import events
from careops.events import OutboxEvent
from careops.extensions import db
from careops.inventory.models import StockMovement
from tests.conftest import assert_error
from tests.inventory.conftest import URL, alerts, deductions, make_item


def use(owner, service_id: str, *usage) -> None:
    response = owner.patch(
        f"/api/v1/services/{service_id}",
        json={"inventory_usage": [{"item_id": item["id"], "quantity": quantity} for item, quantity in usage]},
    )
    assert response.status_code == 200, response.get_json()


def book(bookable, hhmm="10:00", days_ahead=3) -> dict:
    response = bookable.staff_book(bookable.owner, bookable.start(hhmm, days_ahead))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def complete(owner, booking_id: str):
    return owner.post(f"/api/v1/bookings/{booking_id}/status", json={"status": "completed"})


def quantity(owner, item) -> float:
    return owner.get(f"{URL}/{item['id']}").get_json()["quantity"]


def test_completing_deducts_once_with_the_booking_on_the_movement(app, owner, bookable):
    gloves = make_item(owner, name="Gloves", quantity=10, low_stock_threshold=0)
    gel = make_item(owner, name="Gel", unit="ml", quantity=100, low_stock_threshold=0)
    use(owner, bookable.service_id, (gloves, 2), (gel, 7.5))
    booking = book(bookable)
    assert quantity(owner, gloves) == 10.0  # booked is not used yet
    assert complete(owner, booking["id"]).status_code == 200
    assert (quantity(owner, gloves), quantity(owner, gel)) == (8.0, 92.5)
    movement = owner.get(f"{URL}/{gel['id']}/movements").get_json()[0]
    assert (movement["delta"], movement["reason"], movement["booking_id"], movement["user_id"]) == (
        -7.5,
        "booking completed",
        booking["id"],
        None,
    )
    # A status set again is refused by the booking rules, and deducts nothing.
    assert_error(complete(owner, booking["id"]), 409)
    assert (quantity(owner, gloves), quantity(owner, gel)) == (8.0, 92.5)


def test_duplicate_delivery_deducts_once(app, owner, bookable):
    gloves = make_item(owner, quantity=10, low_stock_threshold=0)
    use(owner, bookable.service_id, (gloves, 3))
    booking = book(bookable)
    complete(owner, booking["id"])
    with app.app_context():
        event_id = db.session.scalars(
            sa.select(OutboxEvent.id).where(
                OutboxEvent.name == "booking_status_changed",
                OutboxEvent.payload["new_status"].as_string() == "completed",
            )
        ).one()
        # The same event again (the sweep after a lost acknowledgement) …
        db.session.execute(sa.update(OutboxEvent).where(OutboxEvent.id == event_id).values(delivered_at=None))
        db.session.commit()
        assert events.deliver(event_id) is True
        # … and a second event announcing the same completion (a status written twice).
        events.emit(
            "booking_status_changed",
            owner.workspace_id,
            booking_id=booking["id"],
            old_status="confirmed",
            new_status="completed",
        )
        db.session.commit()
    assert quantity(owner, gloves) == 7.0
    assert deductions(app, booking["id"]) == [(gloves["id"], Decimal("3.000"), Decimal("3.000"))]
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(StockMovement).where(StockMovement.booking_id == booking["id"])
            )
            == 1
        )


def test_not_enough_stock_uses_what_there_is_and_raises_out_of_stock(app, owner, bookable):
    masks = make_item(owner, name="Masks", quantity=1.5, low_stock_threshold=0)
    use(owner, bookable.service_id, (masks, 4))
    booking = book(bookable)
    response = complete(owner, booking["id"])
    assert response.status_code == 200 and response.get_json()["status"] == "completed"
    assert quantity(owner, masks) == 0.0
    assert deductions(app, booking["id"]) == [(masks["id"], Decimal("4.000"), Decimal("1.500"))]
    out = alerts(app, owner.workspace_id, kind="out_of_stock", status="open")
    assert [(a.link, a.severity) for a in out] == [(f"/api/v1/inventory/{masks['id']}", "critical")]
    # An empty shelf: the next completion records nothing used, and the alert stays the one open alert.
    second = book(bookable, "12:00")
    assert complete(owner, second["id"]).status_code == 200
    assert deductions(app, second["id"]) == [(masks["id"], Decimal("4.000"), Decimal("0.000"))]
    assert len(alerts(app, owner.workspace_id, kind="out_of_stock")) == 1
    assert len(owner.get(f"{URL}/{masks['id']}/movements").get_json()) == 2  # initial stock, first booking


def test_other_statuses_and_unused_services_deduct_nothing(app, owner, bookable):
    gloves = make_item(owner, quantity=10, low_stock_threshold=0)
    use(owner, bookable.service_id, (gloves, 1))
    cancelled, no_show = book(bookable, "10:00"), book(bookable, "12:00")
    owner.post(f"/api/v1/bookings/{cancelled['id']}/status", json={"status": "cancelled"})
    owner.post(f"/api/v1/bookings/{no_show['id']}/status", json={"status": "no_show"})
    assert quantity(owner, gloves) == 10.0
    # The item was deleted after the service named it: completion still succeeds.
    later = book(bookable, "14:00")
    owner.delete(f"{URL}/{gloves['id']}")
    assert complete(owner, later["id"]).status_code == 200
    assert deductions(app, later["id"]) == []


def test_completion_through_the_api_deducts_and_alerts_with_one_message(app, owner, bookable):
    """The issue's 'done when': completing deducts once, a low-stock alert with its link and one message."""
    owner.patch("/api/v1/workspace", json={"contact_email": "stock@clinic.example"})
    syringes = make_item(owner, name="Syringes", unit="pair", quantity=5, low_stock_threshold=3)
    use(owner, bookable.service_id, (syringes, 2))
    booking = book(bookable)
    complete(owner, booking["id"])
    open_alerts = owner.get("/api/v1/alerts?status=open&kind=low_inventory").get_json()
    assert [(a["link"], a["title"]) for a in open_alerts] == [
        (f"/api/v1/inventory/{syringes['id']}", "Low stock: Syringes")
    ]
    from tests.inventory.conftest import alert_messages

    assert [(m.to_address, m.body) for m in alert_messages(app, owner.workspace_id)] == [
        ("stock@clinic.example", "Syringes is down to 3 pair (threshold 3).")
    ]
