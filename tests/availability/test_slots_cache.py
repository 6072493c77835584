"""The public slot list's cache (careops.bookings.slot_cache): every change is seen at once, everywhere.

Each test warms the cache with one answer, changes something through the API,
and asks again: the second answer must reflect the change. The cache is really
used (``test_a_warm_answer_comes_from_the_cache`` writes behind its back and
sees the old answer until the version is bumped). Two apps sharing one Redis
stand for two workers or instances; a Redis that does not answer must give
computed, right answers.
"""

from __future__ import annotations

import pytest
import redis as redis_lib
import sqlalchemy as sa

from careops.bookings import slot_cache
from careops.extensions import db
from tests.bookings.factories import Bookable, local_day
from tests.conftest import TEST_REDIS_URL

REDIS_URL = TEST_REDIS_URL or "redis://127.0.0.1:6379/7"
DOWN_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _redis_up() -> bool:
    try:
        return bool(redis_lib.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis_lib.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="the slot cache needs Redis")


@pytest.fixture
def config_overrides():
    return {"CAREOPS_REDIS_URL": REDIS_URL}


@pytest.fixture(autouse=True)
def _fresh_cache():
    redis_lib.Redis.from_url(REDIS_URL).flushdb()
    slot_cache.clear()
    yield
    slot_cache.clear()


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


def test_a_warm_answer_comes_from_the_cache(app, bookable, client):
    """A write that bypasses the session (no bump) is not seen; a bump makes it seen."""
    assert remaining(client, bookable)["10:00"] == 2
    # Behind the cache's back: a core UPDATE on the engine, not the ORM session.
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE resources SET capacity = 5"))
    assert remaining(client, bookable)["10:00"] == 2  # served from the cache
    with app.app_context():
        slot_cache.bump(bookable.owner.workspace_id)
    assert remaining(client, bookable)["10:00"] == 5


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


def test_another_workspace_keeps_its_entries(app, bookable, client, register):
    """A change bumps its own workspace only: the other's entry stays (one Redis key each)."""
    other = Bookable(app, register(), capacity=2)
    assert remaining(client, other)["10:00"] == 2
    with app.app_context(), db.engine.begin() as conn:  # behind the cache's back, as above
        conn.execute(
            sa.text("UPDATE resources SET capacity = 7 WHERE workspace_id = :w"), {"w": other.owner.workspace_id}
        )
    booked(bookable, client)
    assert remaining(client, other)["10:00"] == 2  # not bumped by the first workspace's booking
    assert remaining(client, bookable)["10:00"] == 1


def test_a_change_through_one_instance_is_seen_by_another(app, bookable, client, make_app):
    """Two apps sharing Redis stand for two workers or two instances: each keeps its own entries."""
    second = make_app(CAREOPS_REDIS_URL=REDIS_URL).test_client()
    assert remaining(client, bookable)["10:00"] == 2
    assert remaining(second, bookable)["10:00"] == 2
    booked(bookable, client)  # written through the first
    assert remaining(second, bookable)["10:00"] == 1
    booked(bookable, second, email="dan@example.com")  # and through the second
    assert "10:00" not in remaining(client, bookable)


def test_a_version_lost_by_redis_is_never_reused(app, bookable, client):
    """Redis restarted empty: the next version is a fresh token, not one an old entry was made under."""
    assert remaining(client, bookable)["10:00"] == 2
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE resources SET capacity = 3"))
    redis_lib.Redis.from_url(REDIS_URL).flushdb()
    assert remaining(client, bookable)["10:00"] == 3


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
