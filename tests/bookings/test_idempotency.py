"""Idempotency-Key on POST /public/… and POST /bookings: replay, reuse, release, scope, expiry, races."""

import threading
from datetime import UTC, datetime, timedelta

import time_machine

from tests.bookings.factories import count_bookings
from tests.conftest import assert_error


def key(value):
    return {"Idempotency-Key": value}


def test_same_key_same_body_replays_and_creates_nothing(bookable, client, app):
    first = bookable.public_book(client, bookable.start(), headers=key("k-1"))
    assert first.status_code == 201
    again = bookable.public_book(client, bookable.start(), headers=key("k-1"))
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_bookings(app) == 1
    # key order and whitespace do not make a different body
    body = {
        "email": "cara@example.com",
        "name": "Cara Customer",
        "start": bookable.start(),
        "service_id": bookable.service_id,
    }
    third = client.post(f"/api/v1/public/{bookable.slug}/bookings", json=body, headers=key("k-1"))
    assert third.get_json() == first.get_json() and count_bookings(app) == 1


def test_same_key_different_body_is_refused(bookable, client, app):
    bookable.public_book(client, bookable.start("10:00"), headers=key("k-2"))
    assert_error(
        bookable.public_book(client, bookable.start("11:00"), headers=key("k-2")), 409, "IDEMPOTENCY_KEY_REUSED"
    )
    assert count_bookings(app) == 1


def test_invalid_requests_do_not_consume_the_key(bookable, client, app):
    assert_error(bookable.public_book(client, bookable.start(), email=None, headers=key("k-3")), 422)
    assert bookable.public_book(client, bookable.start(), headers=key("k-3")).status_code == 201
    assert count_bookings(app) == 1


def test_an_executed_refusal_is_replayed(bookable, client):
    bookable.public_book(client, bookable.start(), email="first@example.com")
    refused = bookable.public_book(client, bookable.start(), headers=key("k-4"))
    assert_error(refused, 409, "SLOT_UNAVAILABLE")
    replay = bookable.public_book(client, bookable.start(), headers=key("k-4"))
    assert replay.status_code == 409 and replay.get_json() == refused.get_json()


def test_keys_are_scoped_per_workspace_and_path(bookable, client, app, register):
    from tests.bookings.factories import Bookable

    other = Bookable(app, register())
    assert bookable.public_book(client, bookable.start(), headers=key("shared")).status_code == 201
    assert other.public_book(client, other.start(), headers=key("shared")).status_code == 201
    assert bookable.staff_book(bookable.owner, bookable.start("13:00"), headers=key("shared")).status_code == 201
    assert other.staff_book(other.owner, other.start("13:00"), headers=key("shared")).status_code == 201
    assert count_bookings(app) == 4


def test_keys_expire_after_a_day(bookable, client, app):
    bookable.public_book(client, bookable.start("10:00"), headers=key("k-5"))
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        response = bookable.public_book(client, bookable.start("11:00", 4), headers=key("k-5"))
        assert response.status_code == 201, response.get_json()
    assert count_bookings(app) == 2


def test_bad_keys(bookable, client):
    for bad in ("x" * 256, "   "):
        payload = assert_error(bookable.public_book(client, bookable.start(), headers=key(bad)), 422)
        assert "Idempotency-Key" in payload["errors"]


def test_manage_actions_replay(bookable, client):
    token = bookable.public_book(client, bookable.start()).get_json()["manage_token"]
    first = client.post(f"/api/v1/public/bookings/{token}/cancel", headers=key("c-1"))
    again = client.post(f"/api/v1/public/bookings/{token}/cancel", headers=key("c-1"))
    assert first.status_code == again.status_code == 200 and first.get_json() == again.get_json()
    assert_error(client.post(f"/api/v1/public/bookings/{token}/cancel"), 409, "INVALID_TRANSITION")


def test_concurrent_duplicates_create_one_booking(bookable, app):
    barrier = threading.Barrier(8)
    results = []

    def fire():
        with app.test_client() as c:
            barrier.wait()
            results.append(bookable.public_book(c, bookable.start(), headers=key("race")))

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [201] * 8
    assert len({r.get_data() for r in results}) == 1
    assert count_bookings(app) == 1


def test_openapi_documents_the_header(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/public/{slug}/bookings"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert {"201", "404", "409", "422", "429"} <= set(post["responses"])


def test_staff_post_replays(bookable, app):
    first = bookable.staff_book(bookable.owner, bookable.start("13:00"), headers=key("staff-1"))
    again = bookable.staff_book(bookable.owner, bookable.start("13:00"), headers=key("staff-1"))
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"] and count_bookings(app) == 1


def test_expired_keys_are_purged(bookable, client, app):
    from careops.extensions import db
    from careops.idempotency import IdempotencyKey, purge_expired

    bookable.public_book(client, bookable.start(), headers=key("old"))
    with app.app_context():
        assert purge_expired() == 0
        assert purge_expired(datetime.now(UTC) + timedelta(hours=25)) == 1
        assert db.session.query(IdempotencyKey).count() == 0


def test_a_request_still_in_progress(app, owner, client, monkeypatch):
    from careops import idempotency
    from tests.bookings.factories import Bookable

    bookable = Bookable(app, owner, capacity=2)
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    real_finish = idempotency._finish
    monkeypatch.setattr(idempotency, "_finish", lambda row_id, response: None)  # the worker "dies" mid-way
    assert bookable.public_book(client, bookable.start(), headers=key("stuck")).status_code == 201
    monkeypatch.setattr(idempotency, "_finish", real_finish)
    assert_error(bookable.public_book(client, bookable.start(), headers=key("stuck")), 409, "CONFLICT")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=6)):
        # an abandoned claim is taken over after STALE_AFTER
        assert bookable.public_book(client, bookable.start(), headers=key("stuck")).status_code == 201
    assert count_bookings(app) == 2


def test_the_decorator_keeps_a_views_own_documented_parameters(app):
    from careops.http import Blueprint
    from careops.idempotency import idempotent

    blp = Blueprint("idempotency-doc-test", __name__)

    @idempotent
    @blp.doc(parameters=[{"in": "query", "name": "token", "schema": {"type": "string", "maxLength": 9}}])
    def view():
        return "ok"

    names = [p["name"] for p in view._apidoc["manual_doc"]["parameters"]]
    assert names == ["token", "Idempotency-Key"]
