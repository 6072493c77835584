"""A booking that cannot get its resource's lock in time answers 503, never waits forever (PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from careops.bookings.locking import lock_key
from careops.extensions import db
from tests.conftest import TEST_DATABASE_URL, assert_error

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="advisory locks and lock_timeout are PostgreSQL's")


@pytest.fixture
def config_overrides():
    return {"CAREOPS_BOOKING_LOCK_TIMEOUT_MS": 300}


def test_a_held_resource_lock_gives_503_with_retry_after_and_writes_nothing(app, client, bookable):
    start = bookable.start("10:00")
    with app.app_context():
        holder = db.engine.connect()
    transaction = holder.begin()
    try:
        holder.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(bookable.resource_id)})
        response = bookable.public_book(client, start)
        body = assert_error(response, 503, "SERVICE_UNAVAILABLE")
        assert "busy" in body["detail"] and response.headers["Retry-After"] == "1"
    finally:
        transaction.rollback()
        holder.close()
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM bookings")) == 0
    assert bookable.public_book(client, start).status_code == 201  # the lock released: the same request succeeds
