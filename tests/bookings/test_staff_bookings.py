"""POST /bookings (staff with ``bookings``): free time only, no notice/horizon/hours, contact by id or details."""

from tests.bookings.factories import Bookable, count_bookings, make_service, outbox
from tests.conftest import assert_error


def test_staff_book_for_new_and_existing_contacts(bookable, make_staff, app):
    staff = make_staff(bookable.owner, bookings=True)
    response = bookable.staff_book(staff, bookable.start("10:00"), notes="Walk-in")
    assert response.status_code == 201, response.get_json()
    booking = response.get_json()
    assert set(booking) == {
        "id",
        "reference",
        "service_id",
        "contact_id",
        "start",
        "end",
        "status",
        "notes",
        "source",
        "created_at",
        "updated_at",
        "forms",
    }
    assert (booking["status"], booking["source"], booking["notes"], booking["forms"]) == (
        "confirmed",
        "staff",
        "Walk-in",
        [],
    )
    assert booking["start"] == bookable.start("10:00")
    second = staff.post(
        "/api/v1/bookings",
        json={"service_id": bookable.service_id, "start": bookable.start("11:00"), "contact_id": booking["contact_id"]},
    )
    assert second.status_code == 201 and second.get_json()["contact_id"] == booking["contact_id"]
    assert [e["source"] for e in outbox(app, "booking_created")] == ["staff", "staff"]


def test_staff_are_not_bound_by_hours_notice_or_horizon(app, owner):
    bookable = Bookable(app, owner, min_notice_minutes=3 * 24 * 60, booking_horizon_days=1)
    for start in (bookable.start("20:00", 1), bookable.start("07:15", 2), bookable.start("10:00", 30)):
        assert bookable.staff_book(owner, start).status_code == 201, start


def test_staff_cannot_double_book(bookable):
    assert bookable.staff_book(bookable.owner, bookable.start("19:00")).status_code == 201
    assert_error(bookable.staff_book(bookable.owner, bookable.start("19:30")), 409, "SLOT_UNAVAILABLE")
    assert bookable.staff_book(bookable.owner, bookable.start("20:00")).status_code == 201


def test_requires_confirmation_applies_to_staff_bookings(app, owner):
    bookable = Bookable(app, owner, requires_confirmation=True)
    assert bookable.staff_book(owner, bookable.start()).get_json()["status"] == "pending"


def test_validation(bookable, app):
    owner = bookable.owner
    base = {"service_id": bookable.service_id, "start": bookable.start()}
    for body, field in [
        (base, "contact_id"),
        ({**base, "contact_id": "x", "contact": {"name": "A", "email": "a@example.com"}}, "contact_id"),
        ({**base, "contact": {"name": "A"}}, "contact"),
        ({**base, "start": "2030-01-01 10:00"}, "start"),
        ({"start": base["start"], "contact": {"name": "A", "email": "a@example.com"}}, "service_id"),
        ({**base, "contact": {"name": "A", "email": "a@example.com"}, "extra": 1}, "extra"),
    ]:
        payload = assert_error(owner.post("/api/v1/bookings", json=body), 422)
        assert field in payload["errors"], (body, payload)
    assert count_bookings(app) == 0


def test_ids_of_another_workspace_are_404(bookable, register, app):
    other = register()
    foreign_service = make_service(other)
    foreign_contact = other.post("/api/v1/contacts", json={"name": "X", "email": "x@example.com"}).get_json()
    assert_error(
        bookable.owner.post(
            "/api/v1/bookings",
            json={"service_id": bookable.service_id, "start": bookable.start(), "contact_id": foreign_contact["id"]},
        ),
        404,
    )
    assert_error(bookable.staff_book(bookable.owner, bookable.start(), service_id=foreign_service["id"]), 404)
    assert count_bookings(app) == 0


def test_permissions(bookable, make_staff, client):
    without = make_staff(bookable.owner, inbox=True)
    assert_error(bookable.staff_book(without, bookable.start()), 403, "FORBIDDEN")
    assert_error(without.get("/api/v1/bookings"), 403, "FORBIDDEN")
    assert_error(client.post("/api/v1/bookings", json={}), 401)


def test_bookings_before_activation_are_fine_for_staff(owner):
    service = make_service(owner)
    response = owner.post(
        "/api/v1/bookings",
        json={
            "service_id": service["id"],
            "start": "2030-01-07T10:00:00+01:00",
            "contact": {"name": "A", "phone": "+33612345678"},
        },
    )
    assert response.status_code == 201, response.get_json()
