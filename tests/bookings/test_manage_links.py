"""Manage links: view, cancel and move a booking by token, until the service's minimum notice."""

import hashlib

import sqlalchemy as sa

from careops.bookings.manage import issue_manage_token
from careops.bookings.models import BookingManageToken
from careops.extensions import db
from tests.bookings.factories import Bookable, outbox
from tests.conftest import assert_error


def book(bookable, client, hhmm="10:00", days_ahead=3):
    response = bookable.public_book(client, bookable.start(hhmm, days_ahead))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["manage_token"], response.get_json()["booking"]


def test_view_by_token(bookable, client, app):
    token, booking = book(bookable, client)
    response = client.get(f"/api/v1/public/bookings/{token}")
    assert response.status_code == 200
    seen = response.get_json()
    assert {k: seen[k] for k in ("reference", "start", "end", "status")} == {
        k: booking[k] for k in ("reference", "start", "end", "status")
    }
    assert seen["business"]["slug"] == bookable.slug and seen["service"]["id"] == bookable.service_id
    assert "contact_id" not in seen
    with app.app_context():  # only the hash is stored (a confirmation email may have added its own token)
        hashes = db.session.scalars(sa.select(BookingManageToken.token_hash)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in hashes


def test_unknown_token(client):
    for token in ("x" * 43, "short", "y" * 300):
        assert_error(client.get(f"/api/v1/public/bookings/{token}"), 404, "NOT_FOUND")
        assert_error(client.post(f"/api/v1/public/bookings/{token}/cancel"), 404, "NOT_FOUND")


def test_cancel_frees_the_slot_at_once(bookable, client, app):
    token, booking = book(bookable, client)
    response = client.post(f"/api/v1/public/bookings/{token}/cancel")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert outbox(app, "booking_cancelled")[-1]["by"] == "customer"
    assert bookable.public_book(client, bookable.start("10:00"), email="next@example.com").status_code == 201
    assert_error(client.post(f"/api/v1/public/bookings/{token}/cancel"), 409, "INVALID_TRANSITION")
    assert_error(
        client.post(f"/api/v1/public/bookings/{token}/reschedule", json={"start": bookable.start("12:00")}),
        409,
        "INVALID_TRANSITION",
    )


def test_cancel_and_move_refused_inside_minimum_notice(app, owner, client):
    bookable = Bookable(app, owner, min_notice_minutes=60)
    booking = bookable.staff_book(owner, bookable.start("23:59", 0)).get_json()  # staff may book at short notice
    from careops.bookings.models import Booking

    with app.app_context():
        token = issue_manage_token(owner.workspace_id, booking["id"])
        db.session.commit()
    import datetime as dt

    import time_machine

    booking_start = dt.datetime.fromisoformat(booking["start"])
    with time_machine.travel(booking_start - dt.timedelta(minutes=30), tick=False):
        assert_error(client.post(f"/api/v1/public/bookings/{token}/cancel"), 409, "CONFLICT")
        assert_error(
            client.post(f"/api/v1/public/bookings/{token}/reschedule", json={"start": bookable.start("10:00", 3)}),
            409,
            "CONFLICT",
        )
    with time_machine.travel(booking_start - dt.timedelta(minutes=61), tick=False):
        assert client.post(f"/api/v1/public/bookings/{token}/cancel").status_code == 200
    with app.app_context():
        assert db.session.get(Booking, booking["id"]).status == "cancelled"


def test_reschedule_to_an_offered_slot(bookable, client, app):
    token, booking = book(bookable, client, "10:00")
    moved = client.post(f"/api/v1/public/bookings/{token}/reschedule", json={"start": bookable.start("15:00")})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["start"] == bookable.start("15:00")
    assert moved.get_json()["reference"] == booking["reference"]
    event = outbox(app, "booking_rescheduled")[-1]
    assert event["new_start"] != event["old_start"]
    # 10:00 is free again; 15:00 is taken; off-grid and off-hours times are refused
    assert bookable.public_book(client, bookable.start("10:00"), email="z@example.com").status_code == 201
    for start in (bookable.start("10:00"), bookable.start("15:30"), bookable.start("21:00")):
        assert_error(
            client.post(f"/api/v1/public/bookings/{token}/reschedule", json={"start": start}), 409, "SLOT_UNAVAILABLE"
        )
    assert_error(client.post(f"/api/v1/public/bookings/{token}/reschedule", json={}), 422)
    assert client.get(f"/api/v1/public/bookings/{token}").get_json()["start"] == bookable.start("15:00")


def test_several_tokens_for_one_booking(bookable, client, app):
    token, booking = book(bookable, client)
    booking_id = bookable.owner.get("/api/v1/bookings").get_json()[0]["id"]
    with app.app_context():
        second = issue_manage_token(bookable.owner.workspace_id, booking_id)
        db.session.commit()
    assert second != token
    assert client.get(f"/api/v1/public/bookings/{second}").get_json()["reference"] == booking["reference"]
    assert client.get(f"/api/v1/public/bookings/{token}").status_code == 200


def test_issue_manage_token_is_scoped_to_the_workspace(bookable, client, app, register):
    book(bookable, client)
    booking_id = bookable.owner.get("/api/v1/bookings").get_json()[0]["id"]
    other = register()
    from careops.errors import NotFound

    with app.app_context():
        try:
            issue_manage_token(other.workspace_id, booking_id)
        except NotFound:
            pass
        else:
            raise AssertionError("another workspace's booking must be 404")
