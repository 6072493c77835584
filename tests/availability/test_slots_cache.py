"""The public slot list's cache (careops.bookings.slot_cache): every change is seen at once, everywhere.

Each test warms the cache with one answer, changes something through the API,
and asks again: the second answer must reflect the change. The cache is really
used (``test_a_warm_answer_comes_from_the_cache`` writes behind its back and
sees the old answer until the version is bumped). Two apps sharing one Redis
stand for two workers or instances; a Redis that does not answer must give
computed, right answers.

Most tests run once per source of versions: Redis (skipped when it does not
answer) and, with no Redis configured, SQLite's ``PRAGMA data_version``
(skipped on PostgreSQL, which has no cache without Redis). On SQLite a second
engine on the same file stands for another worker: its commits are seen through
the data_version alone, with no bump (two apps in one process also share this
process's entries, which every bump drops).
"""

from __future__ import annotations

import json

import pytest
import redis as redis_lib
import sqlalchemy as sa

from careops.bookings import slot_cache
from careops.extensions import db
from tests.bookings.factories import Bookable, local_day
from tests.cache_versions import (  # noqa: F401 - fixtures
    REDIS,
    REDIS_UP,
    REDIS_URL,
    SQLITE,
    _fresh_cache,
    config_overrides,
    one_connection,
    redis_url,
    versions,
    write_elsewhere,
)
from tests.conftest import TEST_DATABASE_URL, is_postgresql

DOWN_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
redis_only = pytest.mark.parametrize("versions", [REDIS])
sqlite_only = pytest.mark.parametrize("versions", [SQLITE])


@pytest.fixture
def bookable(app, owner) -> Bookable:
    return Bookable(app, owner, capacity=2)


def remaining(client, bookable, days_ahead: int = 3) -> dict[str, int]:
    """hh:mm → remaining of the day ``days_ahead`` from today."""
    day = local_day(bookable.tz, days_ahead)
    response = client.get(f"/api/v1/public/{bookable.slug}/services/{bookable.service_id}/slots?from={day}&to={day}")
    assert response.status_code == 200, response.get_json()
    return {s["start"][11:16]: s["remaining"] for s in response.get_json()}


def booked(bookable, client, hhmm: str = "10:00", email: str = "cara@example.com") -> dict:
    response = bookable.public_book(client, bookable.start(hhmm), email=email)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["booking"]


def staff_booked(bookable, owner, hhmm: str = "10:00") -> str:
    response = bookable.staff_book(owner, bookable.start(hhmm))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


#: Behind the cache's back, bookings are what is written: the busy ranges are read on every
#: computation, while capacities, hours and overrides may come from the configuration cache.
CANCEL = "UPDATE bookings SET status = 'cancelled' WHERE id = :id"
CANCEL_ALL = "UPDATE bookings SET status = 'cancelled'"


def write_unseen(versions: str, statement: str, **params) -> None:
    """A write the cache is not told of: a text statement, which no listener notes (no bump).

    On SQLite it is made on the connection the cached answers were read on (after
    :func:`one_connection`): a commit from any other would move that one's
    data_version — the invalidation the other tests are about, not this one.
    """
    db.session.execute(sa.text(statement), params)
    if versions != "redis":
        assert db.session.connection().info.get(slot_cache._CONNECTION) in {key[-2] for key in slot_cache._entries}
    db.session.commit()


def test_a_warm_answer_comes_from_the_cache(app, bookable, client, owner, versions):
    """A write that bypasses the session (no bump) is not seen; a bump makes it seen."""
    staff_booked(bookable, owner)
    one_connection()
    assert remaining(client, bookable)["10:00"] == 1
    write_unseen(versions, CANCEL_ALL)  # behind the cache's back
    assert remaining(client, bookable)["10:00"] == 1  # served from the cache
    with app.app_context():
        slot_cache.bump(bookable.owner.workspace_id)
    assert remaining(client, bookable)["10:00"] == 2


def test_a_public_booking_is_seen(bookable, client):
    assert remaining(client, bookable)["10:00"] == 2
    booked(bookable, client)
    assert remaining(client, bookable)["10:00"] == 1


def test_a_staff_booking_is_seen(bookable, client, owner):
    assert remaining(client, bookable)["11:00"] == 2
    response = bookable.staff_book(owner, bookable.start("11:00"))
    assert response.status_code == 201, response.get_json()
    assert remaining(client, bookable)["11:00"] == 1


@pytest.mark.parametrize("status", ["cancelled", "completed", "no_show"])
def test_a_status_change_is_seen(bookable, client, owner, status):
    """Only pending and confirmed bookings hold their time: any other status frees it."""
    booking_id = staff_booked(bookable, owner)
    assert remaining(client, bookable)["10:00"] == 1
    response = owner.post(f"/api/v1/bookings/{booking_id}/status", json={"status": status})
    assert response.status_code == 200, response.get_json()
    assert remaining(client, bookable)["10:00"] == 2


def test_a_reschedule_is_seen(bookable, client, owner):
    booking_id = staff_booked(bookable, owner)
    assert remaining(client, bookable)["10:00"] == 1 and remaining(client, bookable)["13:00"] == 2
    response = owner.patch(f"/api/v1/bookings/{booking_id}", json={"start": bookable.start("13:00")})
    assert response.status_code == 200, response.get_json()
    after = remaining(client, bookable)
    assert after["10:00"] == 2 and after["13:00"] == 1


def test_new_opening_hours_are_seen(bookable, client, owner):
    assert "09:00" in remaining(client, bookable)
    response = owner.put(
        "/api/v1/availability",
        json={
            "rules": [
                {"weekday": d, "start": "12:00", "end": "14:00"}
                for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            ]
        },
    )
    assert response.status_code == 200, response.get_json()
    assert sorted(remaining(client, bookable)) == ["12:00", "13:00"]


def test_a_closed_day_and_its_removal_are_seen(bookable, client, owner):
    assert remaining(client, bookable)
    response = owner.post(
        "/api/v1/availability/overrides", json={"date": str(local_day(bookable.tz, 3)), "closed": True}
    )
    assert response.status_code == 201, response.get_json()
    assert remaining(client, bookable) == {}
    assert owner.delete(f"/api/v1/availability/overrides/{response.get_json()['id']}").status_code in (200, 204)
    assert remaining(client, bookable)["10:00"] == 2


def test_a_resource_change_is_seen(bookable, client, owner):
    assert remaining(client, bookable)["10:00"] == 2
    response = owner.patch(f"/api/v1/resources/{bookable.resource_id}", json={"capacity": 4})
    assert response.status_code == 200, response.get_json()
    assert remaining(client, bookable)["10:00"] == 4


def test_a_service_change_is_seen(bookable, client, owner):
    assert len(remaining(client, bookable)) == 8  # 09:00–17:00, one hour each
    response = owner.patch(f"/api/v1/services/{bookable.service_id}", json={"duration_minutes": 120})
    assert response.status_code == 200, response.get_json()
    assert len(remaining(client, bookable)) == 4


@redis_only  # on SQLite, another connection's commit (the booking's tasks) makes every workspace stale
def test_another_workspace_keeps_its_entries(app, bookable, client, register):
    """A change bumps its own workspace only: the other's entry stays (one Redis key each)."""
    other = Bookable(app, register(), capacity=2)
    staff_booked(other, other.owner)
    assert remaining(client, other)["10:00"] == 1
    with app.app_context(), db.engine.begin() as conn:  # behind the cache's back, as above
        conn.execute(sa.text(CANCEL_ALL + " WHERE workspace_id = :w"), {"w": other.owner.workspace_id})
    booked(bookable, client)
    assert remaining(client, other)["10:00"] == 1  # not bumped by the first workspace's booking
    assert remaining(client, bookable)["10:00"] == 1


def test_a_change_through_one_instance_is_seen_by_another(app, bookable, client, make_app, redis_url):
    """Two apps sharing Redis (or the SQLite file) stand for two workers or instances: each keeps its own entries."""
    second = make_app(CAREOPS_REDIS_URL=redis_url).test_client()
    assert remaining(client, bookable)["10:00"] == 2
    assert remaining(second, bookable)["10:00"] == 2
    booked(bookable, client)  # written through the first
    assert remaining(second, bookable)["10:00"] == 1
    booked(bookable, second, email="dan@example.com")  # and through the second
    assert "10:00" not in remaining(client, bookable)


@sqlite_only
def test_a_commit_from_another_connection_is_seen_at_once(app, bookable, client, owner, versions):
    """Another worker's commit moves this connection's data_version: seen with no bump at all."""
    at_ten, at_eleven = staff_booked(bookable, owner, "10:00"), staff_booked(bookable, owner, "11:00")
    one_connection()
    warm = remaining(client, bookable)
    assert warm["10:00"] == 1 and warm["11:00"] == 1
    write_unseen(versions, CANCEL, id=at_ten)
    assert remaining(client, bookable)["10:00"] == 1  # still from the cache: the connection's own commit
    write_elsewhere(CANCEL, id=at_eleven)
    after = remaining(client, bookable)
    assert after["10:00"] == 2 and after["11:00"] == 2  # computed again: both cancellations seen


@sqlite_only
def test_a_new_connection_never_reads_a_closed_ones_entries(app, bookable, client, owner, versions):
    """A new connection's data_version starts again at the same small numbers: its token tells them apart."""
    staff_booked(bookable, owner)
    one_connection()
    assert remaining(client, bookable)["10:00"] == 1  # kept under the new connection's first data_version
    one_connection()  # that connection closed
    write_elsewhere(CANCEL_ALL)
    assert remaining(client, bookable)["10:00"] == 2  # read on a new connection, at its first data_version


def test_switched_off_nothing_is_kept(app, bookable, client, owner, versions):
    """``CAREOPS_SLOT_CACHE = False``: every answer is computed, even after a write nobody was told of."""
    staff_booked(bookable, owner)
    app.config["CAREOPS_SLOT_CACHE"] = False
    one_connection()
    assert remaining(client, bookable)["10:00"] == 1
    db.session.execute(sa.text(CANCEL_ALL))  # as write_unseen, on the same connection
    db.session.commit()
    assert remaining(client, bookable)["10:00"] == 2
    assert not slot_cache._entries


@pytest.mark.skipif(not is_postgresql(TEST_DATABASE_URL), reason="SQLite without Redis has its own tests above")
@pytest.mark.parametrize("versions", ["postgresql, no redis"])
def test_postgresql_without_redis_keeps_nothing(bookable, client, versions):
    """PostgreSQL has no data_version: without Redis every answer is computed."""
    assert remaining(client, bookable)["10:00"] == 2
    assert not slot_cache._entries


def test_an_answer_read_from_uncommitted_rows_is_not_kept(app, bookable, versions):
    """Flushed, not committed: the rows may yet be rolled back, and a rollback bumps nothing."""
    from careops.resources.models import Resource

    db.session.get(Resource, bookable.resource_id).capacity = 9
    db.session.flush()
    assert slot_cache.cached(bookable.owner.workspace_id, ("k",), lambda: ["read uncommitted"]) == ["read uncommitted"]
    assert not slot_cache._entries
    db.session.rollback()
    assert slot_cache.cached(bookable.owner.workspace_id, ("k",), lambda: ["committed"]) == ["committed"]
    assert slot_cache.cached(bookable.owner.workspace_id, ("k",), lambda: ["recomputed"]) == ["committed"]


@redis_only
def test_a_version_lost_by_redis_is_never_reused(app, bookable, client, owner):
    """Redis restarted empty: the next version is a fresh token, not one an old entry was made under."""
    staff_booked(bookable, owner)
    assert remaining(client, bookable)["10:00"] == 1
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(CANCEL_ALL))
    redis_lib.Redis.from_url(REDIS_URL).flushdb()
    assert remaining(client, bookable)["10:00"] == 2


@redis_only
def test_redis_down_computes_right_answers(app, owner, make_app):
    """No Redis: nothing cached, every answer computed — and right after each change."""
    down = make_app(CAREOPS_REDIS_URL=DOWN_REDIS_URL)
    client = down.test_client()
    bookable = Bookable(down, _actor_on(client, owner), capacity=2)
    assert remaining(client, bookable)["10:00"] == 2
    booked(bookable, client)
    assert remaining(client, bookable)["10:00"] == 1
    booked(bookable, client, email="dan@example.com")
    assert "10:00" not in remaining(client, bookable)
    assert not slot_cache._entries  # nothing was kept without a version to check it against


@redis_only
def test_a_bump_that_failed_is_retried(app, bookable, client):
    with app.app_context():
        app.config["CAREOPS_REDIS_URL"] = DOWN_REDIS_URL
        slot_cache.bump(bookable.owner.workspace_id)
        assert slot_cache._unbumped == {bookable.owner.workspace_id}
        app.config["CAREOPS_REDIS_URL"] = REDIS_URL
        before = redis_lib.Redis.from_url(REDIS_URL).get("careops:slots:v:" + bookable.owner.workspace_id)
        slot_cache.version(bookable.owner.workspace_id)
        after = redis_lib.Redis.from_url(REDIS_URL).get("careops:slots:v:" + bookable.owner.workspace_id)
    assert not slot_cache._unbumped and after != before


def test_the_cache_is_bounded(app):
    with app.app_context():
        slot_cache.bump("w")
        for i in range(slot_cache.MAX_ENTRIES + 50):
            slot_cache.cached("w", (i,), lambda i=i: [i])
        assert len(slot_cache._entries) == slot_cache.MAX_ENTRIES
        assert slot_cache.cached("w", (slot_cache.MAX_ENTRIES + 49,), lambda: ["recomputed"]) == [
            slot_cache.MAX_ENTRIES + 49
        ]  # the newest stayed
        assert slot_cache.cached("w", (0,), lambda: ["recomputed"]) == ["recomputed"]  # the oldest went


def _actor_on(client, owner):
    from tests.conftest import Actor

    return Actor(client, {"access_token": owner.access_token, "user": owner.user, "workspace": owner.workspace})


# --- The staff booking list's total, kept under the same versions ---------------------------------


def listed_total(actor, **filters) -> int:
    query = "&".join(f"{k}={v}" for k, v in {"page_size": 1, **filters}.items())
    response = actor.get(f"/api/v1/bookings?{query}")
    assert response.status_code == 200, response.get_json()
    return json.loads(response.headers["X-Pagination"])["total"]


def test_the_booking_lists_total_comes_from_the_cache(app, bookable, client, owner, versions):
    staff_booked(bookable, owner, "10:00")
    one_connection()
    assert listed_total(owner) == 1
    write_unseen(versions, CANCEL_ALL)
    assert listed_total(owner, status="confirmed") == 0  # another filter: another key, counted now
    assert listed_total(owner) == 1  # the first answer, kept
    with app.app_context():
        slot_cache.bump(owner.workspace_id)
    assert listed_total(owner, status="cancelled") == 1


def test_the_booking_lists_total_follows_every_booking_write(bookable, client, owner):
    assert listed_total(owner) == 0 and listed_total(owner, status="confirmed") == 0
    booked(bookable, client)
    assert listed_total(owner) == 1 and listed_total(owner, status="confirmed") == 1
    cancelled = staff_booked(bookable, owner, "11:00")
    assert listed_total(owner) == 2
    assert owner.post(f"/api/v1/bookings/{cancelled}/status", json={"status": "cancelled"}).status_code == 200
    assert listed_total(owner, status="confirmed") == 1 and listed_total(owner, status="cancelled") == 1
    last = local_day(bookable.tz, 5)
    moving = staff_booked(bookable, owner, "13:00")
    assert listed_total(owner, to=last) == 3
    moved = owner.patch(f"/api/v1/bookings/{moving}", json={"start": bookable.start("12:00", days_ahead=9)})
    assert moved.status_code == 200, moved.get_json()
    assert listed_total(owner, to=last) == 2  # moved out of the range


def test_the_booking_lists_total_follows_another_instance(app, bookable, client, owner, make_app, redis_url):
    second = make_app(CAREOPS_REDIS_URL=redis_url).test_client()
    assert listed_total(owner) == 0
    booked(bookable, second)  # another worker books
    assert listed_total(owner) == 1
