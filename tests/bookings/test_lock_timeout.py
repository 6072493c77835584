"""A booking that cannot get its calendar's lock in time answers 503, never waits forever.

PostgreSQL: another transaction holds the resource's advisory lock. SQLite:
another booking holds the database's booking queue (the ``flock`` before
``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from careops.bookings.locking import lock_key
from careops.extensions import db
from tests.conftest import assert_error


@pytest.fixture
def config_overrides():
    return {"CAREOPS_BOOKING_LOCK_TIMEOUT_MS": 300}


@contextmanager
def calendar_held(app, resource_id):
    """Hold, from outside the app's request, what a booking of ``resource_id`` must wait for."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        holder = engine.connect()
        transaction = holder.begin()
        try:
            holder.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(resource_id)})
            yield
        finally:
            transaction.rollback()
            holder.close()
    else:
        fd = os.open(engine.url.database + "-booking", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def test_a_held_calendar_gives_503_with_retry_after_and_writes_nothing(app, client, bookable):
    start = bookable.start("10:00")
    with calendar_held(app, bookable.resource_id):
        response = bookable.public_book(client, start)
        body = assert_error(response, 503, "SERVICE_UNAVAILABLE")
        assert "busy" in body["detail"] and response.headers["Retry-After"] == "1"
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM bookings")) == 0
    assert bookable.public_book(client, start).status_code == 201  # the lock released: the same request succeeds


def test_the_sqlite_queue_is_held_for_the_transaction_and_released_after(app, owner):
    """The flock is taken with the write lock and dropped when the booking's transaction ends, even on error."""
    from careops.bookings.locking import booking_lock
    from careops.resources.models import Resource

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the booking queue is SQLite's")
        path = db.engine.url.database + "-booking"

        def free() -> bool:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False
            finally:
                os.close(fd)

        rid = db.session.scalars(sa.select(Resource.id)).first()
        db.session.rollback()
        with booking_lock([rid]):
            assert not free()
            db.session.commit()
        assert free()
        with pytest.raises(LookupError), booking_lock([rid]):
            raise LookupError("the booking failed")
        assert free() and not db.session.connection().connection.driver_connection.in_transaction


def test_the_sqlite_queue_is_left_at_the_commit_before_the_after_commit_calls(app, owner):
    """What runs after the commit (the outbox's task enqueues) does not hold up the next booking."""
    from careops.after_commit import call_after_commit
    from careops.bookings.locking import booking_lock
    from careops.resources.models import Resource

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the booking queue is SQLite's")
        path = db.engine.url.database + "-booking"
        rid = db.session.scalars(sa.select(Resource.id)).first()
        db.session.rollback()
        seen = []

        def queue_free_now():
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                seen.append(True)
            except BlockingIOError:
                seen.append(False)
            finally:
                os.close(fd)

        with booking_lock([rid]):
            call_after_commit(queue_free_now)
            db.session.commit()
        assert seen == [True]
