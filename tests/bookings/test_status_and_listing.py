"""The status machine, GET/PATCH /bookings/{id} and the filtered, paginated list."""

import json

import pytest

from tests.bookings.factories import local_day, outbox
from tests.conftest import assert_error

ALLOWED = {
    ("pending", "confirmed"),
    ("pending", "cancelled"),
    ("confirmed", "completed"),
    ("confirmed", "no_show"),
    ("confirmed", "cancelled"),
}
STATUSES = ("pending", "confirmed", "cancelled", "completed", "no_show")


def booking_in(bookable, status, hhmm="10:00"):
    """A booking driven to ``status`` through allowed transitions."""
    booking = bookable.staff_book(bookable.owner, bookable.start(hhmm)).get_json()
    path = {
        "confirmed": [],
        "cancelled": ["cancelled"],
        "completed": ["completed"],
        "no_show": ["no_show"],
        "pending": None,
    }[status]
    if path is None:
        from careops.bookings.models import Booking
        from careops.extensions import db

        with bookable.app.app_context():
            db.session.get(Booking, booking["id"]).status = "pending"
            db.session.commit()
        return booking
    for step in path:
        assert bookable.owner.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": step}).status_code == 200
    return booking


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_transitions(bookable, app, old, new):
    booking = booking_in(bookable, old)
    before = len(outbox(app, "booking_status_changed"))
    response = bookable.owner.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": new})
    if (old, new) in ALLOWED:
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == new
        assert outbox(app, "booking_status_changed")[-1] == {
            "booking_id": booking["id"],
            "old_status": old,
            "new_status": new,
            "workspace_id": bookable.owner.workspace_id,
        }
    else:
        assert_error(response, 409, "INVALID_TRANSITION")
        assert len(outbox(app, "booking_status_changed")) == before
        assert bookable.owner.get(f"/api/v1/bookings/{booking['id']}").get_json()["status"] == old


def test_cancel_emits_booking_cancelled(bookable, app):
    booking = booking_in(bookable, "confirmed")
    bookable.owner.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "cancelled"})
    assert [(e["booking_id"], e["by"]) for e in outbox(app, "booking_cancelled")] == [(booking["id"], "staff")]


def test_status_validation_and_isolation(bookable, register):
    booking = booking_in(bookable, "confirmed")
    assert_error(bookable.owner.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "done"}), 422)
    other = register()
    assert_error(other.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "cancelled"}), 404)
    assert_error(other.get(f"/api/v1/bookings/{booking['id']}"), 404)
    assert_error(other.patch(f"/api/v1/bookings/{booking['id']}", json={"notes": "x"}), 404)
    assert other.get("/api/v1/bookings").get_json() == []


def test_patch_notes_and_reschedule(bookable, app):
    booking = booking_in(bookable, "confirmed")
    url = f"/api/v1/bookings/{booking['id']}"
    assert bookable.owner.patch(url, json={"notes": "Bring X-rays"}).get_json()["notes"] == "Bring X-rays"
    moved = bookable.owner.patch(url, json={"start": bookable.start("14:00")})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["start"] == bookable.start("14:00") and moved.get_json()["notes"] == "Bring X-rays"
    event = outbox(app, "booking_rescheduled")[-1]
    assert event["booking_id"] == booking["id"]
    assert (event["old_start"][:16], event["new_start"][:16]) != (None, None)
    # the old time is free again, the new one is taken
    assert bookable.staff_book(bookable.owner, bookable.start("10:00")).status_code == 201
    assert_error(bookable.staff_book(bookable.owner, bookable.start("14:30")), 409, "SLOT_UNAVAILABLE")


def test_reschedule_rechecks(bookable):
    a = booking_in(bookable, "confirmed", "10:00")
    booking_in(bookable, "confirmed", "12:00")
    assert_error(
        bookable.owner.patch(f"/api/v1/bookings/{a['id']}", json={"start": bookable.start("12:30")}),
        409,
        "SLOT_UNAVAILABLE",
    )
    # moving within its own time is fine: it does not collide with itself
    assert (
        bookable.owner.patch(f"/api/v1/bookings/{a['id']}", json={"start": bookable.start("10:30")}).status_code == 200
    )
    cancelled = booking_in(bookable, "cancelled", "15:00")
    assert_error(
        bookable.owner.patch(f"/api/v1/bookings/{cancelled['id']}", json={"start": bookable.start("16:00")}),
        409,
        "INVALID_TRANSITION",
    )
    assert_error(bookable.owner.patch(f"/api/v1/bookings/{a['id']}", json={"start": "soon"}), 422)


def test_list_filters_sorting_and_pagination(bookable, app):
    owner = bookable.owner
    late = bookable.staff_book(owner, bookable.start("15:00", 3), email="late@example.com").get_json()
    early = bookable.staff_book(owner, bookable.start("09:00", 3), email="early@example.com").get_json()
    other_day = bookable.staff_book(owner, bookable.start("09:00", 5), email="early@example.com").get_json()
    today = bookable.staff_book(owner, bookable.start("23:00", 0), email="now@example.com").get_json()
    owner.post(f"/api/v1/bookings/{late['id']}/status", json={"status": "cancelled"})

    def ids(query=""):
        response = owner.get("/api/v1/bookings" + query)
        assert response.status_code == 200, response.get_json()
        return [b["id"] for b in response.get_json()]

    assert ids() == [today["id"], early["id"], late["id"], other_day["id"]]
    day3 = local_day(bookable.tz, 3)
    assert ids(f"?from={day3}&to={day3}") == [early["id"], late["id"]]
    assert ids(f"?from={day3}") == [early["id"], late["id"], other_day["id"]]
    assert ids(f"?to={day3}") == [today["id"], early["id"], late["id"]]
    assert ids("?status=cancelled") == [late["id"]]
    assert ids(f"?contact_id={early['contact_id']}") == [early["id"], other_day["id"]]
    assert ids(f"?service_id={bookable.service_id}&status=confirmed") == [today["id"], early["id"], other_day["id"]]
    assert ids("?day=today") == [today["id"]]
    response = owner.get("/api/v1/bookings?page=2&page_size=3")
    assert [b["id"] for b in response.get_json()] == [other_day["id"]]
    meta = json.loads(response.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (4, 2, 2)
    for query in ("?status=done", "?day=tomorrow", "?from=yesterday", f"?from={day3}&to=2000-01-01", "?page_size=101"):
        assert_error(owner.get("/api/v1/bookings" + query), 422)


def test_staff_with_permission_reads(bookable, make_staff):
    booking = booking_in(bookable, "confirmed")
    staff = make_staff(bookable.owner, bookings=True)
    assert staff.get(f"/api/v1/bookings/{booking['id']}").get_json()["id"] == booking["id"]
    assert staff.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "completed"}).status_code == 200
    nope = make_staff(bookable.owner)
    assert_error(nope.get(f"/api/v1/bookings/{booking['id']}"), 403)
    assert_error(nope.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "completed"}), 403)
    assert_error(nope.patch(f"/api/v1/bookings/{booking['id']}", json={"notes": "x"}), 403)


def test_the_list_answers_what_the_schema_dumps(bookable):
    """The list builds its items without marshmallow: they must stay what BookingSchema gives."""
    from zoneinfo import ZoneInfo

    from careops.bookings.models import Booking
    from careops.bookings.schemas import BookingSchema, as_dict, as_json
    from careops.extensions import db

    bookable.staff_book(bookable.owner, bookable.start("10:00"), notes="Knee")
    bookable.staff_book(bookable.owner, bookable.start("11:00"), email="other@example.com")
    listed = bookable.owner.get("/api/v1/bookings").get_json()
    assert listed == [bookable.owner.get(f"/api/v1/bookings/{item['id']}").get_json() for item in listed]
    tz = ZoneInfo(bookable.tz)
    with bookable.app.app_context():
        for item in listed:
            booking = db.session.get(Booking, item["id"])
            assert as_json(booking, tz) == BookingSchema().dump(as_dict(booking, tz)) == item
