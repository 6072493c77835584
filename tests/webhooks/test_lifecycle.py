"""A public booking's life, as a webhook receiver verifying with standardwebhooks sees it."""

from __future__ import annotations

from tests.bookings.factories import Bookable
from tests.webhooks.conftest import create_endpoint, deliveries

BOOKING_EVENTS = ["booking.created", "booking.status_changed", "booking.rescheduled", "booking.cancelled"]


def test_book_confirm_reschedule_cancel(app, owner, client, receiver):
    bookable = Bookable(app, owner, requires_confirmation=True)
    endpoint = create_endpoint(owner, receiver.url, events=BOOKING_EVENTS)
    secret = endpoint["secret"]

    booked = bookable.public_book(client, bookable.start("10:00"))
    assert booked.status_code == 201, booked.get_json()
    token = booked.get_json()["manage_token"]
    created = receiver.verified(secret)
    assert created["type"] == "booking.created"
    booking = created["data"]["booking"]
    assert booking["reference"] == booked.get_json()["booking"]["reference"]
    assert booking["status"] == "pending" and booking["service_id"] == bookable.service_id
    assert set(booking) >= {"id", "reference", "start", "end", "status", "service_id", "contact_id"}
    assert token not in receiver.requests[0]["body"]  # no manage token, no secret in a payload

    assert owner.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "confirmed"}).status_code == 200
    new_start = bookable.start("14:00")
    moved = client.post(f"/api/v1/public/bookings/{token}/reschedule", json={"start": new_start})
    assert moved.status_code == 200, moved.get_json()
    assert client.post(f"/api/v1/public/bookings/{token}/cancel").status_code == 200

    assert receiver.types(secret) == [
        "booking.created",
        "booking.status_changed",
        "booking.rescheduled",
        "booking.status_changed",
        "booking.cancelled",
    ]
    bodies = [receiver.verified(secret, i)["data"] for i in range(5)]
    assert (bodies[1]["old_status"], bodies[1]["new_status"]) == ("pending", "confirmed")
    assert bodies[2]["booking"]["start"] != booking["start"] and "old_start" in bodies[2]
    assert (bodies[3]["old_status"], bodies[3]["new_status"]) == ("confirmed", "cancelled")
    assert bodies[4]["by"] == "customer" and bodies[4]["booking"]["status"] == "cancelled"
    assert {b["booking"]["id"] for b in bodies} == {booking["id"]}
    # One delivery per event, each succeeded at the first attempt, each with its own webhook-id.
    logged = deliveries(owner, endpoint["id"])
    assert len(logged) == 5 and {d["status"] for d in logged} == {"succeeded"}
    assert len(set(receiver.ids())) == 5 == len({d["event_id"] for d in logged})


def test_completed_booking_and_new_contact(app, owner, client, receiver):
    bookable = Bookable(app, owner)
    endpoint = create_endpoint(
        owner, receiver.url, events=["booking.created", "booking.status_changed", "contact.created"]
    )
    booked = bookable.public_book(client, bookable.start("11:00"), email="dora@example.com")
    assert booked.status_code == 201
    types = receiver.types(endpoint["secret"])
    assert sorted(types) == ["booking.created", "contact.created"]
    contact = next(receiver.verified(endpoint["secret"], i) for i, t in enumerate(types) if t == "contact.created")
    assert contact["data"]["contact"]["email"] == "dora@example.com"
    booking = next(receiver.verified(endpoint["secret"], i) for i, t in enumerate(types) if t == "booking.created")
    assert booking["data"]["booking"]["contact_id"] == contact["data"]["contact"]["id"]
    booking_id = booking["data"]["booking"]["id"]
    assert owner.post(f"/api/v1/bookings/{booking_id}/status", json={"status": "completed"}).status_code == 200
    done = receiver.verified(endpoint["secret"])
    assert done["type"] == "booking.status_changed" and done["data"]["new_status"] == "completed"
