"""The booking lock itself: stable keys, and it must open the transaction on SQLite."""

import pytest
import sqlalchemy as sa

from careops.bookings.locking import booking_lock, lock_key
from careops.extensions import db
from tests.conftest import TEST_DATABASE_URL


def test_lock_keys_are_stable_signed_64_bit():
    assert lock_key("a") == lock_key("a") != lock_key("b")
    assert all(-(2**63) <= lock_key(str(i)) < 2**63 for i in range(1000))
    # never changes: servers of two versions running side by side must take the same locks
    assert lock_key("3f2b8c1e-0000-4000-8000-000000000000") == -6499270895483837629


def test_lock_holds_until_the_transaction_ends(app, owner):
    from careops.resources.models import Resource

    with app.app_context():
        rid = db.session.scalars(sa.select(Resource.id)).first()
        with booking_lock([rid, rid]):
            if db.engine.dialect.name == "postgresql":
                held = db.session.scalar(
                    sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
                )
                assert held == 1  # one key per distinct resource
            else:
                assert db.session.connection().connection.driver_connection.in_transaction
        db.session.commit()


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite only")
def test_sqlite_lock_refuses_to_join_a_write_in_progress(app, owner):
    from careops.resources.models import Resource

    with app.app_context():
        db.session.execute(sa.update(Resource).values(capacity=2))
        with pytest.raises(RuntimeError), booking_lock(["x"]):
            pass
        db.session.rollback()
