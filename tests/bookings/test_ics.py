"""iCalendar: one booking as an attachment, and the token-protected workspace feed."""

from datetime import datetime

from icalendar import Calendar

from careops.bookings.ics import booking_ics
from careops.errors import NotFound
from tests.conftest import assert_error


def test_booking_ics(bookable, client, app):
    bookable.public_book(client, bookable.start("10:00"))
    booking = bookable.owner.get("/api/v1/bookings").get_json()[0]
    with app.app_context():
        data = booking_ics(bookable.owner.workspace_id, booking["id"])
    cal = Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    assert event["uid"] == f"{booking['id']}@careops"
    assert event.decoded("dtstart") == datetime.fromisoformat(booking["start"])
    assert event.decoded("dtend") == datetime.fromisoformat(booking["end"])
    assert "Consultation" in str(event["summary"]) and booking["reference"] in str(event["description"])
    assert str(event["status"]) == "CONFIRMED"


def test_booking_ics_is_scoped(bookable, client, app, register):
    bookable.public_book(client, bookable.start("10:00"))
    booking_id = bookable.owner.get("/api/v1/bookings").get_json()[0]["id"]
    other = register()
    with app.app_context():
        try:
            booking_ics(other.workspace_id, booking_id)
        except NotFound:
            return
    raise AssertionError("another workspace's booking must be 404")


def test_feed_with_rotating_token(bookable, client):
    bookable.public_book(client, bookable.start("10:00"))
    cancelled = bookable.public_book(client, bookable.start("12:00"), email="x@example.com").get_json()
    client.post(f"/api/v1/public/bookings/{cancelled['manage_token']}/cancel")
    feed_url = f"/api/v1/public/{bookable.slug}/calendar.ics"
    assert_error(client.get(feed_url + "?token=whatever"), 404)  # no token issued yet
    rotated = bookable.owner.post("/api/v1/workspace/calendar-token")
    assert rotated.status_code == 201
    token, url = rotated.get_json()["token"], rotated.get_json()["url"]
    assert url.endswith(f"/api/v1/public/{bookable.slug}/calendar.ics?token={token}")
    response = client.get(f"{feed_url}?token={token}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert len(events) == 1 and "Cara Customer" in str(events[0]["summary"])
    assert_error(client.get(f"{feed_url}?token=wrong"), 404)
    assert_error(client.get(feed_url), 422)
    newer = bookable.owner.post("/api/v1/workspace/calendar-token").get_json()["token"]
    assert_error(client.get(f"{feed_url}?token={token}"), 404)
    assert client.get(f"{feed_url}?token={newer}").status_code == 200
    assert_error(client.get(f"/api/v1/public/nobody/calendar.ics?token={newer}"), 404)


def test_only_the_owner_rotates(bookable, make_staff):
    staff = make_staff(bookable.owner, bookings=True)
    assert_error(staff.post("/api/v1/workspace/calendar-token"), 403)
