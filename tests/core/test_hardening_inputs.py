"""Inputs that once answered 500: each class of fault answers 4xx with the error body of API.md.

The guards live in shared layers (:mod:`careops.parsing`, :mod:`careops.fields`),
so these tests pick endpoints of several domains to show the class is closed,
not one instance.
"""

from __future__ import annotations

import json

import pytest

from careops.default_plugins.console import sign
from careops.messaging.base import OutboundMessage
from careops.messaging.chain import header_safe
from tests.bookings.factories import Bookable
from tests.conftest import assert_error, unique
from tests.messaging.fixtures import configure


@pytest.fixture
def bookable(app, owner) -> Bookable:
    return Bookable(app, owner)


def contact_body(**fields):
    return {"name": "Ann Lee", "email": f"{unique('ann')}@example.com", "message": "Hello", **fields}


# 1. Authorization + Idempotency-Key on a public POST


def test_a_public_post_with_an_authorization_header_and_a_key_is_served(client, bookable):
    headers = {"Authorization": "Bearer whatever-the-client-always-sends", "Idempotency-Key": "k-1"}
    body = {"service_id": bookable.service_id, "start": bookable.start(), "name": "Ann", "email": "ann@example.com"}
    first = client.post(f"/api/v1/public/{bookable.slug}/bookings", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    again = client.post(f"/api/v1/public/{bookable.slug}/bookings", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    contact = client.post(
        f"/api/v1/public/{bookable.slug}/contact",
        json=contact_body(),
        headers={**bookable.owner.headers, "Idempotency-Key": "k-2"},
    )
    assert contact.status_code == 201, contact.get_json()


def test_idempotent_above_protected_is_refused_at_import():
    from careops.http import Blueprint
    from careops.idempotency import idempotent

    blp = Blueprint("misplaced", __name__)
    with pytest.raises(TypeError, match=r"below @blp\.protected"):

        @idempotent
        @blp.protected()
        def view():  # pragma: no cover - never declared
            return {}


# 2. Out-of-range dates


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_slots_refuse_out_of_range_dates(client, bookable, day):
    url = f"/api/v1/public/{bookable.slug}/services/{bookable.service_id}/slots"
    assert "from" in assert_error(client.get(f"{url}?from={day}"), 422, "VALIDATION_ERROR")["errors"]
    assert "to" in assert_error(client.get(f"{url}?to={day}"), 422)["errors"]


@pytest.mark.parametrize("start", ["9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00+14:00"])
def test_bookings_refuse_out_of_range_starts(client, bookable, start):
    body = {"service_id": bookable.service_id, "start": start, "name": "Ann", "email": "ann@example.com"}
    public = client.post(f"/api/v1/public/{bookable.slug}/bookings", json=body)
    assert "start" in assert_error(public, 422)["errors"]
    staff = bookable.owner.post(
        "/api/v1/bookings", json={"service_id": bookable.service_id, "start": start, "contact": {"name": "Ann"}}
    )
    assert "start" in assert_error(staff, 422)["errors"]


def test_booking_list_refuses_out_of_range_filters(owner):
    assert_error(owner.get("/api/v1/bookings?from=9999-12-31&to=9999-12-31"), 422)
    assert_error(owner.get("/api/v1/bookings?from=0001-01-01"), 422)


# 3. NUL characters (PostgreSQL cannot store them; both databases must answer alike)


def test_nul_characters_are_refused_in_bodies_queries_and_paths(client, owner, bookable):
    contact = client.post(f"/api/v1/public/{bookable.slug}/contact", json=contact_body(name="a\u0000b"))
    assert assert_error(contact, 422)["errors"] == {"name": ["NUL characters are not allowed."]}
    assert "name" in assert_error(owner.post("/api/v1/contacts", json={"name": "a\u0000b"}), 422)["errors"]
    nested = owner.put(
        "/api/v1/availability", json={"rules": [{"weekday": "mon\u0000", "start": "09:00", "end": "10:00"}]}
    )
    assert "rules.0.weekday" in assert_error(nested, 422)["errors"]
    assert "q" in assert_error(owner.get("/api/v1/contacts?q=a%00b"), 422)["errors"]
    assert_error(owner.get("/api/v1/conversations?q=%00"), 422)
    assert_error(owner.get("/api/v1/contacts/a%00b"), 404)
    form = client.post(f"/api/v1/public/{bookable.slug}/contact", data={"name": "a\u0000b"})
    assert_error(form, 422)


# 4. Nesting, surrogates, huge pages, inbound payloads


def test_deeply_nested_json_is_malformed_not_a_crash(client, owner):
    deep = "[" * 2000 + "]" * 2000
    response = owner.post("/api/v1/contacts", data=deep, content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")
    forty = '{"name": "x", "tags": ' + "[" * 40 + '"x"' + "]" * 40 + "}"
    assert_error(owner.post("/api/v1/contacts", data=forty, content_type="application/json"), 400)


def test_lone_surrogates_are_refused(client, owner, bookable):
    raw = '{"name": "bad \\ud800", "email": "x@example.com", "message": "hi"}'
    response = client.post(f"/api/v1/public/{bookable.slug}/contact", data=raw, content_type="application/json")
    assert "name" in assert_error(response, 422)["errors"]
    key = owner.post("/api/v1/contacts", data='{"\\udfff": 1}', content_type="application/json")
    assert_error(key, 422)


@pytest.mark.parametrize(
    "query",
    ["page=9223372036854775808", "page=2147483648", "page=0", "page_size=101", "page=-1", "page=1.5", "page=abc"],
)
def test_page_numbers_are_bounded(owner, query):
    for path in ("/api/v1/contacts", "/api/v1/bookings", "/api/v1/conversations"):
        assert_error(owner.get(f"{path}?{query}"), 422)


def test_a_huge_but_valid_page_is_just_empty(owner):
    response = owner.get("/api/v1/contacts?page=2147483647")
    assert response.status_code == 200 and response.get_json() == []


def test_a_signed_inbound_payload_with_wrong_types_is_refused(client, owner):
    configure(owner, "email", "console", config={"inbound_secret": "s3cret"})
    url = [i for i in owner.get("/api/v1/integrations").get_json() if i["key"] == "email"][0]["inbound_url"]
    path = url[url.index("/api/v1/") :]
    for payload in (
        {"channel": "email", "from": "a@example.com", "body": "hi", "name": 12},
        {"channel": "email", "from": "a@example.com", "body": "hi", "subject": {"x": 1}},
        {"channel": "email", "from": ["a@example.com"], "body": "hi"},
        {"channel": "email", "from": "a@example.com", "body": "a\u0000b"},
    ):
        raw = json.dumps(payload).encode()
        response = client.post(
            path, data=raw, content_type="application/json", headers={"X-Console-Signature": sign("s3cret", raw)}
        )
        assert_error(response, 422)


# 6. CR/LF in single-line fields, and at the provider boundary


def test_line_breaks_are_refused_in_single_line_fields(owner, bookable):
    assert (
        "name"
        in assert_error(owner.patch("/api/v1/workspace", json={"name": "Clinic\r\nBcc: x@evil.test"}), 422)["errors"]
    )
    rules = owner.get("/api/v1/automation/rules").get_json()
    with_subject = next(r for r in rules if r.get("subject"))
    patched = owner.patch(f"/api/v1/automation/rules/{with_subject['key']}", json={"subject": "Hi\nBcc: x@evil.test"})
    assert "subject" in assert_error(patched, 422)["errors"]
    assert_error(owner.post("/api/v1/contacts", json={"name": "Ann\rLee", "email": "ann@example.com"}), 422)
    # Free text keeps its line breaks.
    notes = owner.post(
        "/api/v1/bookings",
        json={
            "service_id": bookable.service_id,
            "start": bookable.start("11:00"),
            "contact": {"name": "Ann", "email": "ann@example.com"},
            "notes": "line one\nline two",
        },
    )
    assert notes.status_code == 201 and notes.get_json()["notes"] == "line one\nline two"


def test_the_provider_boundary_strips_line_breaks():
    message = OutboundMessage(
        channel="email",
        to="a@example.com\r\nBcc: x@evil.test",
        body="one\ntwo",
        subject="Hello\r\nBcc: x@evil.test",
        from_name="Clinic\nX-Evil: 1",
        headers={"X-Ok": "a\r\nb"},
    )
    safe = header_safe(message)
    assert safe.subject == "Hello Bcc: x@evil.test" and safe.from_name == "Clinic X-Evil: 1"
    assert "\n" not in safe.to and safe.headers == {"X-Ok": "a b"}
    assert safe.body == "one\ntwo"  # the body is not a header


# 7. Strict types, required bodies


def test_types_are_strict(owner, bookable):
    resource = bookable.resource_id
    for body in ({"capacity": 1.5}, {"capacity": "2"}, {"capacity": True}, {"is_active": 0}, {"is_active": "yes"}):
        field = next(iter(body))
        assert field in assert_error(owner.patch(f"/api/v1/resources/{resource}", json=body), 422)["errors"]
    assert owner.patch(f"/api/v1/resources/{resource}", json={"capacity": 2, "is_active": True}).status_code == 200
    conversation = owner.get("/api/v1/conversations").get_json()
    contact = owner.post("/api/v1/contacts", json={"name": "Pat", "email": "pat@example.com"}).get_json()
    conversation_id = owner.get(f"/api/v1/contacts/{contact['id']}").get_json()["conversation_id"]
    assert conversation is not None
    paused = owner.post(f"/api/v1/conversations/{conversation_id}/automation", json={"paused": 0})
    assert "paused" in assert_error(paused, 422)["errors"]
    nested = owner.put(
        "/api/v1/availability",
        json={"rules": [{"weekday": "mon", "start": "09:00", "end": "10:00", "service_ids": [1]}]},
    )
    assert_error(nested, 422)


def test_a_patch_without_a_body_is_refused(owner, bookable):
    for path in (
        "/api/v1/workspace",
        f"/api/v1/resources/{bookable.resource_id}",
        f"/api/v1/services/{bookable.service_id}",
    ):
        response = owner.client.patch(path, headers=owner.headers)
        assert "_body" in assert_error(response, 422)["errors"], path
        as_text = owner.client.patch(path, headers=owner.headers, data="{}", content_type="text/plain")
        assert_error(as_text, 422)
    assert owner.patch("/api/v1/workspace", json={}).status_code == 200  # an empty object changes nothing
