"""The configuration cache (careops.workspaces.config_cache): a change of hours, overrides,
capacities or channels is seen by the very next booking, in every worker.

The booking check reads the weekly hours, the day's overrides and the capacities
from the cache, under a token on the workspace row that every change replaces
in its own transaction. Each test warms the cache with a booking (or a check),
changes something, and books again. A second app on the same database stands
for a second gunicorn worker, which has its own cache.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from careops import scoping
from careops.bookings import offer
from careops.extensions import db
from careops.workspaces import config_cache
from tests.bookings.factories import Bookable, local_day
from tests.conftest import assert_error, bearer


@pytest.fixture(autouse=True)
def _fresh_cache():
    config_cache.clear()
    yield
    config_cache.clear()


@pytest.fixture
def bookable(app, owner) -> Bookable:
    return Bookable(app, owner, capacity=2)


def token(app, workspace_id: str) -> str:
    with app.app_context():
        db.session.rollback()
        return config_cache.version(workspace_id)


def book(bookable, client, hhmm: str, email: str):
    return bookable.public_book(client, bookable.start(hhmm), email=email)


def test_a_warm_cache_is_used(app, bookable, client):
    """A write that bypasses the session replaces no token: the cached capacity is still answered."""
    assert book(bookable, client, "10:00", "a@example.com").status_code == 201
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE resources SET capacity = 1"))  # behind the cache's back
    assert book(bookable, client, "10:00", "b@example.com").status_code == 201  # the cached capacity, 2
    config_cache.clear()
    # Once forgotten, the capacity of 1 is read: 10:00 holds two already, 11:00 one more at most.
    assert book(bookable, client, "11:00", "c@example.com").status_code == 201
    assert_error(book(bookable, client, "11:00", "d@example.com"), 409, "SLOT_UNAVAILABLE")


def test_a_booking_keeps_the_token_a_configuration_change_replaces_it(app, bookable, client, owner):
    before = token(app, owner.workspace_id)
    assert book(bookable, client, "10:00", "a@example.com").status_code == 201
    assert token(app, owner.workspace_id) == before  # bookings leave the configuration's cache alone
    changes = [
        lambda: owner.patch(f"/api/v1/resources/{bookable.resource_id}", json={"capacity": 3}),
        lambda: owner.patch(f"/api/v1/services/{bookable.service_id}", json={"duration_minutes": 30}),
        lambda: owner.put(
            "/api/v1/availability", json={"rules": [{"weekday": "mon", "start": "09:00", "end": "12:00"}]}
        ),
        lambda: owner.post(
            "/api/v1/availability/overrides", json={"date": str(local_day(bookable.tz, 5)), "closed": True}
        ),
    ]
    seen = {before}
    for change in changes:
        response = change()
        assert response.status_code in (200, 201), response.get_json()
        now = token(app, owner.workspace_id)
        assert now not in seen
        seen.add(now)


def test_new_hours_are_seen_by_the_next_booking(bookable, client, owner):
    assert book(bookable, client, "10:00", "a@example.com").status_code == 201
    closed_day = local_day(bookable.tz, 3)
    response = owner.post("/api/v1/availability/overrides", json={"date": str(closed_day), "closed": True})
    assert response.status_code == 201, response.get_json()
    assert_error(book(bookable, client, "11:00", "b@example.com"), 409, "SLOT_UNAVAILABLE")
    owner.put("/api/v1/availability", json={"rules": []})
    assert_error(bookable.public_book(client, bookable.start("11:00", days_ahead=4)), 409, "SLOT_UNAVAILABLE")


def test_another_workers_change_is_seen_at_once(app, bookable, client, make_app, owner):
    """Worker B lowers the capacity; worker A, whose cache holds the old one, refuses the next booking."""
    assert book(bookable, client, "10:00", "a@example.com").status_code == 201  # A's cache: capacity 2
    other = make_app().test_client()
    lowered = other.patch(
        f"/api/v1/resources/{bookable.resource_id}", json={"capacity": 1}, headers=bearer(owner.access_token)
    )
    assert lowered.status_code == 200, lowered.get_json()
    assert_error(book(bookable, client, "10:00", "b@example.com"), 409, "SLOT_UNAVAILABLE")


def test_a_rolled_back_change_leaves_nothing_behind(app, bookable, owner):
    """Computed inside a transaction that then rolls back: the value must not outlive it."""
    from careops.resources.models import Resource

    with app.app_context(), scoping.workspace_scope(owner.workspace_id):
        ids = [bookable.resource_id]
        assert offer.capacities(owner.workspace_id, ids) == {bookable.resource_id: 2}
        db.session.get(Resource, bookable.resource_id).capacity = 7
        db.session.flush()
        assert offer.capacities(owner.workspace_id, ids) == {bookable.resource_id: 7}  # its own change
        db.session.rollback()
        assert offer.capacities(owner.workspace_id, ids) == {bookable.resource_id: 2}


def test_a_channel_switched_off_is_seen_by_the_next_booking(app, bookable, client, owner):
    """SMS off: a customer who leaves only a phone number is refused at once (the cached channels are gone)."""
    with app.app_context():
        from careops.integrations.models import Integration

        db.session.add(
            Integration(
                workspace_id=owner.workspace_id, key="sms", kind="sms", provider="console", enabled=True, status="ok"
            )
        )
        db.session.commit()
    phone_only = {"service_id": bookable.service_id, "name": "Pat", "phone": "+14155550123"}
    first = client.post(
        f"/api/v1/public/{bookable.slug}/bookings", json={**phone_only, "start": bookable.start("10:00")}
    )
    assert first.status_code == 201, first.get_json()
    with app.app_context(), scoping.workspace_scope(owner.workspace_id):
        db.session.execute(sa.update(Integration).where(Integration.kind == "sms").values(enabled=False))
        db.session.commit()
    refused = client.post(
        f"/api/v1/public/{bookable.slug}/bookings", json={**phone_only, "start": bookable.start("11:00")}
    )
    assert_error(refused, 422)
