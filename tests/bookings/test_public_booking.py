"""POST /public/{slug}/bookings: offered slots only, contacts found or created, events, capacity."""

from contextlib import contextmanager
from datetime import datetime

import pytest

from tests.bookings.factories import Bookable, count_bookings, make_service, outbox
from tests.conftest import assert_error


def test_booking_an_offered_slot(bookable, client, app):
    start = bookable.start("10:00")
    response = bookable.public_book(client, start, notes="First visit")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    booking = body["booking"]
    assert booking["reference"].startswith("BK-") and len(booking["reference"]) == 9
    assert set(booking["reference"][3:]) <= set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
    assert datetime.fromisoformat(booking["start"]) == datetime.fromisoformat(start)
    assert booking["start"] == start  # answered in workspace time
    assert datetime.fromisoformat(booking["end"]) - datetime.fromisoformat(booking["start"]) == datetime.fromisoformat(
        bookable.start("11:00")
    ) - datetime.fromisoformat(start)
    assert booking["status"] == "confirmed"
    assert booking["service"]["id"] == bookable.service_id and booking["service"]["name"] == "Consultation"
    assert len(body["manage_token"]) >= 40

    staff_view = bookable.owner.get("/api/v1/bookings").get_json()
    assert len(staff_view) == 1
    assert staff_view[0]["source"] == "public" and staff_view[0]["notes"] == "First visit"
    assert staff_view[0]["forms"] == []
    contact = bookable.owner.get(f"/api/v1/contacts/{staff_view[0]['contact_id']}").get_json()
    assert (contact["name"], contact["email"]) == ("Cara Customer", "cara@example.com")
    assert [(e["booking_id"], e["source"]) for e in outbox(app, "booking_created")] == [(staff_view[0]["id"], "public")]


def test_a_returning_customer_is_found_by_email_or_phone(bookable, client):
    bookable.public_book(client, bookable.start("10:00"), email="Cara@Example.com", phone="+33 6 12 34 56 78")
    bookable.public_book(client, bookable.start("11:00"), email="cara@example.com")
    r = client.post(
        f"/api/v1/public/{bookable.slug}/bookings",
        json={
            "service_id": bookable.service_id,
            "start": bookable.start("12:00"),
            "name": "C",
            "phone": "+33612345678",
        },
    )
    assert r.status_code == 201, r.get_json()
    bookings = bookable.owner.get("/api/v1/bookings").get_json()
    assert len(bookings) == 3 and len({b["contact_id"] for b in bookings}) == 1


def test_requires_confirmation_makes_it_pending(app, owner, client):
    bookable = Bookable(app, owner, requires_confirmation=True)
    response = bookable.public_book(client, bookable.start())
    assert response.get_json()["booking"]["status"] == "pending"
    # a pending booking holds its time
    assert_error(bookable.public_book(client, bookable.start(), email="x@example.com"), 409, "SLOT_UNAVAILABLE")


def test_invalid_input_is_422_and_writes_nothing(bookable, client, app):
    base = {"service_id": bookable.service_id, "start": bookable.start(), "name": "Cara", "email": "c@example.com"}
    cases = [
        ({k: v for k, v in base.items() if k != "email"}, "email"),
        ({**base, "start": "2030-01-01T10:00:00"}, "start"),
        ({**base, "start": "tomorrow"}, "start"),
        ({**base, "email": "not-an-email"}, "email"),
        ({**base, "colour": "red"}, "colour"),
        ({**base, "name": ""}, "name"),
    ]
    for body, field in cases:
        payload = assert_error(client.post(f"/api/v1/public/{bookable.slug}/bookings", json=body), 422)
        assert field in payload["errors"], (body, payload)
    payload = assert_error(
        client.post(f"/api/v1/public/{bookable.slug}/bookings", json={**base, "email": None, "phone": "12"}), 422
    )
    assert "phone" in payload["errors"]
    assert count_bookings(app) == 0
    assert bookable.owner.get("/api/v1/contacts").get_json() == []


@pytest.mark.parametrize("hhmm,days_ahead", [("20:00", 3), ("10:15", 3), ("08:00", 3)])
def test_only_offered_times_can_be_booked(bookable, client, hhmm, days_ahead):
    assert_error(bookable.public_book(client, bookable.start(hhmm, days_ahead)), 409, "SLOT_UNAVAILABLE")


def test_minimum_notice_and_horizon(app, owner, client):
    bookable = Bookable(app, owner, min_notice_minutes=5 * 24 * 60, booking_horizon_days=10)
    assert_error(bookable.public_book(client, bookable.start("10:00", 3)), 409, "SLOT_UNAVAILABLE")
    assert_error(bookable.public_book(client, bookable.start("10:00", 12)), 409, "SLOT_UNAVAILABLE")
    assert bookable.public_book(client, bookable.start("10:00", 7)).status_code == 201


def test_capacity_three_takes_three(app, owner, client):
    bookable = Bookable(app, owner, capacity=3)
    start = bookable.start()
    for i in range(3):
        assert bookable.public_book(client, start, email=f"c{i}@example.com").status_code == 201
    assert_error(bookable.public_book(client, start, email="late@example.com"), 409, "SLOT_UNAVAILABLE")


def test_buffers_keep_neighbours_free(app, owner, client):
    bookable = Bookable(app, owner, buffer_after_minutes=30)
    assert bookable.public_book(client, bookable.start("10:00")).status_code == 201
    for taken in ("09:00", "10:00", "11:00"):  # 09:00 would run into 10:00 with its own buffer
        assert_error(bookable.public_book(client, bookable.start(taken), email="b@example.com"), 409)
    assert bookable.public_book(client, bookable.start("12:00"), email="b@example.com").status_code == 201


def test_a_cancelled_booking_frees_its_time(bookable, client):
    first = bookable.public_book(client, bookable.start()).get_json()
    booking_id = bookable.owner.get("/api/v1/bookings").get_json()[0]["id"]
    assert bookable.owner.post(f"/api/v1/bookings/{booking_id}/status", json={"status": "cancelled"}).status_code == 200
    again = bookable.public_book(client, bookable.start(), email="next@example.com")
    assert again.status_code == 201
    assert again.get_json()["booking"]["reference"] != first["booking"]["reference"]


def test_unknown_or_inactive_things(bookable, client, app, register):
    # the business is looked up before the body: 404 (not 422) for a wrong address
    assert_error(client.post("/api/v1/public/no-such-business/bookings", json={}), 404, "NOT_FOUND")
    other = register()
    foreign = make_service(other)
    assert_error(bookable.public_book(client, bookable.start(), service_id=foreign["id"]), 404, "NOT_FOUND")
    assert_error(bookable.public_book(client, bookable.start(), service_id="nope"), 404, "NOT_FOUND")
    bookable.owner.delete(f"/api/v1/services/{bookable.service_id}")
    assert_error(bookable.public_book(client, bookable.start()), 404, "NOT_FOUND")
    assert count_bookings(app) == 0


def test_not_before_activation(owner, client):
    service = make_service(owner)
    slug = owner.get("/api/v1/workspace").get_json()["slug"]
    assert_error(
        client.post(
            f"/api/v1/public/{slug}/bookings",
            json={
                "service_id": service["id"],
                "start": "2030-01-01T10:00:00+00:00",
                "name": "A",
                "email": "a@example.com",
            },
        ),
        409,
        "WORKSPACE_NOT_ACTIVE",
    )
    assert_error(client.post(f"/api/v1/public/{slug}/bookings", json={}), 409, "WORKSPACE_NOT_ACTIVE")


def test_a_reference_clash_starts_the_booking_again(bookable, client, app, monkeypatch):
    from careops.bookings import service

    references = iter(["BK-222222", "BK-222222", "BK-333333"])
    monkeypatch.setattr(service, "new_reference", lambda: next(references))
    first = bookable.public_book(client, bookable.start("10:00"))
    second = bookable.public_book(client, bookable.start("11:00"), email="dora@example.com")
    assert second.status_code == 201, second.get_json()
    assert [first.get_json()["booking"]["reference"], second.get_json()["booking"]["reference"]] == [
        "BK-222222",
        "BK-333333",
    ]
    assert count_bookings(app) == 2
    # the clashing attempt was rolled back whole: one contact and one event each
    assert len(outbox(app, "contact_created")) == 2 and len(outbox(app, "booking_created")) == 2


def _contacts_and_conversations(app) -> tuple[int, int]:
    import sqlalchemy as sa

    from careops.contacts.models import Contact
    from careops.extensions import db
    from careops.inbox.models import Conversation

    with app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        return count(Contact), count(Conversation)


@contextmanager
def _recorded(app):
    """``(flushes, statements)`` of what runs inside: the new objects of each flush, each statement's text."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from careops.extensions import db

    flushes: list[list[str]] = []
    statements: list[str] = []

    def flushed(session, _context):
        flushes.append([type(obj).__name__ for obj in session.new])

    def seen(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    sa.event.listen(Session, "after_flush", flushed)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        yield flushes, statements
    finally:
        sa.event.remove(Session, "after_flush", flushed)
        sa.event.remove(engine, "before_cursor_execute", seen)


def test_a_new_customer_and_the_booking_are_written_in_one_flush(bookable, client, app):
    """The contact, its conversation, the booking and their events: one flush (one audit INSERT)."""
    with _recorded(app) as (flushes, _):
        response = bookable.public_book(client, bookable.start("10:00"), email="new@example.com")
    assert response.status_code == 201, response.get_json()
    # (The flushes after it are the events' receivers, run at the commit in tests.)
    booking_flushes = [names for names in flushes if {"Contact", "Booking"} & set(names)]
    assert len(booking_flushes) == 1 and {"Contact", "Conversation", "Booking"} <= set(booking_flushes[0]), flushes
    assert _contacts_and_conversations(app) == (1, 1)


def test_the_configuration_token_is_read_once_per_booking(bookable, client, app):
    """The reachability check and the slot check share the token read under the lock."""
    with _recorded(app) as (_, statements):
        response = bookable.public_book(client, bookable.start("10:00"))
    assert response.status_code == 201, response.get_json()
    checks = statements[: next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO bookings"))]
    assert sum("config_version FROM workspaces" in s for s in checks) == 1, checks


def test_a_customer_created_meanwhile_starts_the_booking_again(bookable, client, app, monkeypatch):
    """Looked up before another request committed the same customer: the commit meets the unique email, and
    the booking starts again and finds the contact."""
    from careops.contacts import service as contacts
    from careops.contacts.models import Contact

    assert bookable.public_book(client, bookable.start("10:00"), email="same@example.com").status_code == 201
    missed = []

    class NotYetCommitted(contacts.WorkspaceRepository):
        def first(self, model, *criteria):
            if model is Contact and not missed:
                missed.append(criteria)
                return None
            return super().first(model, *criteria)

    monkeypatch.setattr(contacts, "WorkspaceRepository", NotYetCommitted)
    second = bookable.public_book(client, bookable.start("11:00"), email="same@example.com")
    assert second.status_code == 201, second.get_json()
    assert missed
    bookings = bookable.owner.get("/api/v1/bookings").get_json()
    assert len(bookings) == 2 and len({b["contact_id"] for b in bookings}) == 1
    assert _contacts_and_conversations(app) == (1, 1)
    assert len(outbox(app, "contact_created")) == 1 and len(outbox(app, "booking_created")) == 2


def test_a_refused_booking_leaves_no_customer_behind(bookable, client, app):
    assert bookable.public_book(client, bookable.start("10:00")).status_code == 201
    assert_error(
        bookable.public_book(client, bookable.start("10:00"), email="late@example.com"), 409, "SLOT_UNAVAILABLE"
    )
    assert _contacts_and_conversations(app) == (1, 1)
    assert len(outbox(app, "contact_created")) == 1 and count_bookings(app) == 1
