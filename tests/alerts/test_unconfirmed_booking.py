"""unconfirmed_booking: a booking waiting for confirmation too long; settled by confirming or cancelling."""

import pytest

from tests.alerts.helpers import alerts, open_alerts, outbox_events, sweep_at
from tests.bookings.factories import Bookable


@pytest.fixture
def bookable(app, owner) -> Bookable:
    return Bookable(app, owner, requires_confirmation=True)


def book(client, bookable, hhmm="10:00", email="cara@example.com") -> str:
    response = bookable.public_book(client, bookable.start(hhmm), email=email)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["booking"]["status"] == "pending"
    [booking] = [
        b
        for b in bookable.owner.get("/api/v1/bookings?status=pending").get_json()
        if b["start"].startswith(bookable.start(hhmm)[:16])
    ]
    return booking["id"]


def test_raised_once_after_twelve_hours_by_default(client, bookable):
    booking_id = book(client, bookable)
    assert sweep_at(11)["unconfirmed_booking"] == 0
    assert sweep_at(13)["unconfirmed_booking"] == 1
    assert sweep_at(14)["unconfirmed_booking"] == 0
    [alert] = alerts(bookable.owner.workspace_id, "unconfirmed_booking")
    assert (alert.entity_type, alert.entity_id, alert.status) == ("booking", booking_id, "open")
    response = bookable.owner.get(alert.link)
    assert response.status_code == 200 and response.get_json()["status"] == "pending"
    assert [e.payload["entity_id"] for e in outbox_events(bookable.owner.workspace_id, "alert_raised")] == [booking_id]


@pytest.mark.parametrize("decision", ["confirmed", "cancelled"])
def test_a_decision_resolves_it(client, bookable, decision):
    booking_id = book(client, bookable)
    sweep_at(13)
    response = bookable.owner.post(f"/api/v1/bookings/{booking_id}/status", json={"status": decision})
    assert response.status_code == 200, response.get_json()
    [alert] = alerts(bookable.owner.workspace_id, "unconfirmed_booking")
    assert alert.status == "resolved"
    assert sweep_at(20)["unconfirmed_booking"] == 0


def test_resolved_by_hand_it_is_not_raised_again(client, bookable):
    book(client, bookable)
    sweep_at(13)
    [alert] = open_alerts(bookable.owner.workspace_id, "unconfirmed_booking")
    bookable.owner.post(f"/api/v1/alerts/{alert.id}/resolve")
    assert sweep_at(30)["unconfirmed_booking"] == 0


def test_confirmed_bookings_never_raise_it(client, app, other_owner):
    plain = Bookable(app, other_owner)
    response = plain.public_book(client, plain.start())
    assert response.get_json()["booking"]["status"] == "confirmed"
    assert sweep_at(48)["unconfirmed_booking"] == 0


@pytest.mark.parametrize("config_overrides", [{"CAREOPS_ALERT_UNCONFIRMED_BOOKING_HOURS": 2}])
def test_the_wait_is_configurable(client, bookable, config_overrides):
    book(client, bookable)
    assert sweep_at(1.5)["unconfirmed_booking"] == 0
    assert sweep_at(2.5)["unconfirmed_booking"] == 1
