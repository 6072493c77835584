"""Channels checked up front: a customer the business could never answer is refused; phones read in its country."""

import pytest

from tests.bookings.factories import Bookable
from tests.conftest import assert_error
from tests.messaging.fixtures import configure, submit_contact


@pytest.fixture
def email_only(app, owner):
    """Active, with an email provider (console) and no SMS."""
    return Bookable(app, owner)


def public_book(client, place, **contact):
    return client.post(
        f"/api/v1/public/{place.slug}/bookings",
        json={"service_id": place.service_id, "start": place.start(), "name": "Pat Phone", **contact},
    )


def test_an_email_only_workspace_refuses_a_phone_only_booking(client, email_only):
    response = public_book(client, email_only, phone="+1 415 555 2671")
    errors = assert_error(response, 422)["errors"]
    assert list(errors) == ["email"] and "email" in errors["email"][0].lower()
    assert email_only.owner.get("/api/v1/bookings").get_json() == []
    assert email_only.owner.get("/api/v1/contacts").get_json() == []
    assert public_book(client, email_only, phone="+1 415 555 2671", email="pat@example.com").status_code == 201


def test_with_sms_configured_phone_only_is_accepted(client, email_only):
    configure(email_only.owner, "sms", "console")
    response = public_book(client, email_only, phone="+1 415 555 2671")
    assert response.status_code == 201, response.get_json()


def test_an_sms_only_workspace_asks_for_a_phone(client, email_only):
    email_only.owner.put(
        "/api/v1/integrations/email", json={"provider": "console", "config": {}, "enabled": False, "priority": 100}
    )
    configure(email_only.owner, "sms", "console")
    errors = assert_error(public_book(client, email_only, email="pat@example.com"), 422)["errors"]
    assert list(errors) == ["phone"]


def test_the_contact_form_is_checked_the_same_way(client, email_only):
    errors = assert_error(submit_contact(client, email_only.owner, email=None, phone="+1 415 555 2671"), 422)
    assert list(errors["errors"]) == ["email"]
    assert email_only.owner.get("/api/v1/conversations").get_json() == []
    configure(email_only.owner, "sms", "console")
    assert submit_contact(client, email_only.owner, email=None, phone="+1 415 555 2671").status_code == 201


def test_staff_bookings_are_not_refused(email_only):
    """Staff can call the customer: only the public paths promise an answer by message."""
    response = email_only.owner.post(
        "/api/v1/bookings",
        json={
            "service_id": email_only.service_id,
            "start": email_only.start(),
            "contact": {"name": "Pat Phone", "phone": "+1 415 555 2671"},
        },
    )
    assert response.status_code == 201


def test_a_local_number_is_read_in_the_workspace_country(client, email_only):
    assert email_only.owner.patch("/api/v1/workspace", json={"country": "FR"}).status_code == 200
    configure(email_only.owner, "sms", "console")
    assert public_book(client, email_only, phone="06 12 34 56 78").status_code == 201
    [contact] = email_only.owner.get("/api/v1/contacts").get_json()
    assert contact["phone"] == "+33612345678"


def test_an_unparseable_phone_says_which_country_was_assumed(client, email_only):
    configure(email_only.owner, "sms", "console")
    errors = assert_error(public_book(client, email_only, phone="06 12 34 56 78"), 422)["errors"]
    assert "US" in errors["phone"][0] and "country code" in errors["phone"][0]
    form = assert_error(submit_contact(client, email_only.owner, email=None, phone="12345"), 422)["errors"]
    assert "US" in form["phone"][0]


def test_a_returning_customer_with_a_known_email_may_give_only_the_phone(client, email_only):
    assert public_book(client, email_only, phone="+1 415 555 2671", email="pat@example.com").status_code == 201
    response = client.post(
        f"/api/v1/public/{email_only.slug}/bookings",
        json={
            "service_id": email_only.service_id,
            "start": email_only.start("12:00"),
            "name": "Pat",
            "phone": "(415) 555-2671",
        },
    )
    assert response.status_code == 201, response.get_json()
