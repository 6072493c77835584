"""The staff booking list reads the forms of its whole page in one query, each booking getting its own."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from careops.extensions import db
from tests.bookings.factories import Bookable
from tests.forms.conftest import make_template


@contextmanager
def counted(app):
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_each_listed_booking_has_its_own_forms(clinic, client):
    make_template(clinic.owner, name="Consent", service_ids=[clinic.service_id])
    for i, hhmm in enumerate(("09:00", "10:00", "11:00")):
        clinic.book(client, hhmm, email=f"cust{i}@example.com")
    clinic.staff_booking("12:00")  # staff bookings get the forms too: four bookings, two forms each
    listed = clinic.owner.get("/api/v1/bookings").get_json()
    assert len(listed) == 4
    for item in listed:
        detail = clinic.owner.get(f"/api/v1/bookings/{item['id']}").get_json()
        assert item["forms"] == detail["forms"]
    ids = [f["id"] for item in listed for f in item["forms"]]
    assert len(ids) == len(set(ids)) == 8  # no form shown on two bookings


def test_the_list_costs_the_same_statements_whatever_the_page_size(app, clinic, client):
    for i, hhmm in enumerate(("09:00", "10:00", "11:00", "12:00")):
        clinic.book(client, hhmm, email=f"cust{i}@example.com")
    clinic.owner.get("/api/v1/bookings?page_size=1")  # warm: nothing cached differs between the two below
    with counted(app) as one:
        assert len(clinic.owner.get("/api/v1/bookings?page_size=1").get_json()) == 1
    with counted(app) as four:
        assert len(clinic.owner.get("/api/v1/bookings?page_size=4").get_json()) == 4
    assert len(four) == len(one), four


@pytest.fixture
def bookable_without_forms(app, owner):
    bookable = Bookable(app, owner)
    response = bookable.staff_book(owner, bookable.start("10:00"))
    assert response.status_code == 201, response.get_json()
    return owner, response.get_json()


def test_a_booking_without_forms_lists_none(bookable_without_forms):
    owner, booking = bookable_without_forms
    [listed] = owner.get("/api/v1/bookings").get_json()
    assert listed["id"] == booking["id"] and listed["forms"] == []
