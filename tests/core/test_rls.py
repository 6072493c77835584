"""PostgreSQL's row-level security binds even SQL that skips the ORM (careops/rls.py).

Every query here is raw SQL with no workspace filter: what it sees is what the
policies let through for the current scope. The suite connects as the
ordinary role of tests/conftest.py (a superuser would skip the policies).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from careops import rls, scoping
from careops.contacts.models import Contact
from careops.extensions import db
from careops.inventory.models import InventoryItem
from careops.resources.models import Resource
from careops.workspaces.models import Workspace
from tests.conftest import TEST_DATABASE_URL, is_postgresql

postgresql_only = pytest.mark.skipif(
    not is_postgresql(TEST_DATABASE_URL), reason="row-level security is PostgreSQL's; SQLite keeps the ORM guard only"
)

TABLES = ("contacts", "resources", "inventory_items")


@pytest.fixture
def two_workspaces(app):
    """Workspaces A and B, each with a contact, a resource and a stock item."""
    with app.app_context(), scoping.unscoped():
        ids = []
        for name in ("A", "B"):
            workspace = Workspace(name=f"Clinic {name}", slug=f"clinic-{name.lower()}-rls")
            db.session.add(workspace)
            db.session.flush()
            db.session.add_all(
                [
                    Contact(workspace_id=workspace.id, name=f"Carla {name}"),
                    Resource(workspace_id=workspace.id, name=f"Room {name}"),
                    InventoryItem(workspace_id=workspace.id, name=f"Gloves {name}"),
                ]
            )
            ids.append(workspace.id)
        db.session.commit()
    return tuple(ids)


@pytest.fixture
def no_scope():
    """The test's own code starts with no scope (whatever an autouse fixture chose for test code)."""
    token = scoping.clear()
    yield
    scoping.reset(token)


def owners(table: str) -> list[str]:
    return sorted(db.session.execute(sa.text(f"SELECT workspace_id FROM {table}")).scalars())


@postgresql_only
def test_the_app_role_is_bound_by_the_policies(app):
    with app.app_context():
        superuser, bypass = db.session.execute(
            sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
    assert (superuser, bypass) == (False, False), "the tests would not exercise row-level security"


@postgresql_only
def test_every_workspace_table_has_row_level_security_enabled_and_forced(app):
    with app.app_context():
        tables = rls.workspace_tables(db.metadata)
        rows = db.session.execute(
            sa.text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "       EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname AND p.policyname = :policy) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            ),
            {"policy": rls.POLICY},
        ).all()
    state = {name: (enabled, forced, policy) for name, enabled, forced, policy in rows}
    assert len(tables) > 20
    assert {t: state.get(t) for t in tables if state.get(t) != (True, True, True)} == {}
    # Tables without workspace rows (read before any workspace is known) have no policy.
    assert state["workspaces"] == (False, False, False)
    assert state["idempotency_keys"] == (False, False, False)


@postgresql_only
def test_a_workspace_scope_sees_only_its_own_rows(app, two_workspaces):
    a, b = two_workspaces
    with app.app_context():
        for workspace in (a, b):
            with scoping.workspace_scope(workspace):
                assert {table: owners(table) for table in TABLES} == {table: [workspace] for table in TABLES}
                db.session.commit()


@postgresql_only
def test_a_change_of_scope_inside_a_transaction_is_applied_at_once(app, two_workspaces, no_scope):
    a, b = two_workspaces
    with app.app_context():
        with scoping.unscoped():
            assert owners("contacts") == sorted([a, b])
            with scoping.workspace_scope(b):  # the public page: slug looked up unscoped, then bound
                assert owners("contacts") == [b]
            assert owners("contacts") == sorted([a, b])
        assert owners("contacts") == []
        db.session.rollback()


@postgresql_only
def test_unscoped_sees_every_workspace(app, two_workspaces):
    with app.app_context(), scoping.unscoped():
        assert owners("resources") == sorted(two_workspaces)


@postgresql_only
def test_an_unset_scope_sees_nothing(app, two_workspaces, no_scope):
    with app.app_context():
        assert {table: owners(table) for table in TABLES} == {table: [] for table in TABLES}
        assert db.session.execute(sa.text("UPDATE resources SET name = 'x'")).rowcount == 0
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security policy"):
            db.session.execute(
                sa.text(
                    "INSERT INTO resources (id, workspace_id, name, capacity, is_active, created_at) "
                    "VALUES ('r-unset', :b, 'Room', 1, true, now())"
                ),
                {"b": two_workspaces[1]},
            )
        db.session.rollback()


@postgresql_only
def test_a_row_of_another_workspace_cannot_be_written(app, two_workspaces):
    a, b = two_workspaces
    with app.app_context(), scoping.workspace_scope(a):
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security policy"):
            db.session.execute(
                sa.text(
                    "INSERT INTO resources (id, workspace_id, name, capacity, is_active, created_at) "
                    "VALUES ('r-of-b', :b, 'Room', 1, true, now())"
                ),
                {"b": b},
            )
        db.session.rollback()
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security policy"):
            db.session.execute(sa.text("UPDATE contacts SET workspace_id = :b"), {"b": b})
        db.session.rollback()
        # B's rows are invisible, so an unfiltered UPDATE or DELETE cannot reach them.
        assert db.session.execute(sa.text("UPDATE inventory_items SET name = 'Masks'")).rowcount == 1
        assert db.session.execute(sa.text("DELETE FROM contacts")).rowcount == 1
        db.session.commit()
    with app.app_context(), scoping.unscoped():
        assert sorted(db.session.execute(sa.text("SELECT workspace_id, name FROM inventory_items")).all()) == sorted(
            [(a, "Masks"), (b, "Gloves B")]
        )
        assert owners("contacts") == [b]


@postgresql_only
def test_the_setting_does_not_outlive_its_transaction(app, two_workspaces, no_scope):
    a, _ = two_workspaces
    setting = sa.text(
        "SELECT current_setting('careops.workspace_id', true), "
        "current_setting('careops.unscoped', true), pg_backend_pid()"
    )
    with app.app_context(), db.engine.connect() as connection:
        with scoping.workspace_scope(a), connection.begin():
            workspace, unscoped, pid = connection.execute(setting).one()
            assert (workspace, unscoped) == (a, "off")
        with scoping.unscoped(), connection.begin():
            assert connection.execute(setting).one() == ("", "on", pid)
        with connection.begin():  # the same server session, back to an unset scope
            assert connection.execute(setting).one() == ("", "off", pid)
            assert connection.execute(sa.text("SELECT count(*) FROM contacts")).scalar() == 0


@postgresql_only
def test_a_pooled_connection_carries_no_tenant_into_the_next_request(app, two_workspaces, no_scope):
    a, _ = two_workspaces
    pid = sa.text("SELECT pg_backend_pid()")
    with app.app_context():
        with scoping.workspace_scope(a):
            first = db.session.execute(pid).scalar()
            assert owners("contacts") == [a]
            db.session.commit()
        db.session.remove()
    with app.app_context():
        assert db.session.execute(pid).scalar() == first  # the pool handed the same connection back
        assert owners("contacts") == []
        db.session.rollback()


@postgresql_only
def test_a_change_of_scope_after_an_error_leaves_the_error_to_the_rollback(app, two_workspaces, no_scope):
    a, _ = two_workspaces
    with app.app_context():
        with scoping.workspace_scope(a), pytest.raises(sa.exc.DataError):
            db.session.execute(sa.text("SELECT 1 / 0"))
        # Leaving the scope did not raise "current transaction is aborted" over the real error.
        db.session.rollback()
        assert owners("contacts") == []


def test_nothing_is_installed_on_sqlite(app):
    with app.app_context():
        installed = sa.event.contains(db.engine, "begin", rls._on_begin)
    assert installed == is_postgresql(TEST_DATABASE_URL)


def test_the_settings_of_each_scope():
    assert rls.settings_for("ws-1") == ("ws-1", "off")
    assert rls.settings_for(scoping.ALL) == ("", "on")
    assert rls.settings_for(None) == ("", "off")


@postgresql_only
def test_one_round_trip_per_transaction(app, two_workspaces, monkeypatch):
    a, b = two_workspaces
    applied = []
    original = rls._apply
    monkeypatch.setattr(rls, "_apply", lambda connection, scope: (applied.append(scope), original(connection, scope)))
    with app.app_context(), scoping.workspace_scope(a):
        for table in TABLES:
            owners(table)
        with scoping.workspace_scope(a):  # the same scope again: nothing to re-apply
            owners("contacts")
        assert applied == [a]
        with scoping.workspace_scope(b):
            assert owners("contacts") == [b]
        assert applied == [a, b]
        with scoping.workspace_scope(b):
            pass  # a scope left with no statement in it costs nothing
        assert applied == [a, b]
        assert owners("contacts") == [a]  # back in a: applied before the statement that reads it
        assert applied == [a, b, a]
        db.session.commit()


@postgresql_only
def test_the_lease_renewing_thread_works_in_the_scope_of_its_delivery(app, two_workspaces, monkeypatch):
    """LeaseKeeper renews on its own connection in its own thread: the scope must travel with it."""
    from datetime import timedelta

    from careops.inbox.delivery import LeaseKeeper

    a, _ = two_workspaces
    seen = []

    def renew(keeper):
        with keeper.engine.begin() as connection:
            seen.append((scoping.current(), connection.execute(sa.text("SELECT workspace_id FROM contacts")).all()))
        return True

    monkeypatch.setattr(LeaseKeeper, "renew", renew)
    with app.app_context(), scoping.workspace_scope(a):
        keeper = LeaseKeeper("message-1", timedelta(seconds=0.6))
        with keeper:
            keeper.thread.join(timeout=0.5)
    assert seen and seen[0] == (a, [(a,)])
