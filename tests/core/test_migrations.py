"""The Alembic migrations build exactly the schema the models describe.

``alembic upgrade head`` runs on an empty database (a fresh SQLite file, or a
fresh PostgreSQL database next to the test one), then autogenerate compares
the result with the models: any difference means a migration is missing.
"""

from __future__ import annotations

import contextlib
import logging

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from careops.db import DIALECT_INDEXES, compared_by_autogenerate
from careops.extensions import db
from tests.conftest import TEST_DATABASE_URL


@contextlib.contextmanager
def preserved_logging():
    """Alembic's env.py runs logging.config.fileConfig, which would silence every existing logger."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {
        name: (lg.disabled, lg.level)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, (disabled, lvl) in loggers.items():
            logger = logging.getLogger(name)
            logger.disabled, logger.level = disabled, lvl


@pytest.fixture
def empty_database_url(tmp_path):
    if not TEST_DATABASE_URL or not TEST_DATABASE_URL.startswith(("postgres://", "postgresql")):
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = sa.engine.make_url(
        TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1).replace(
            "postgres://", "postgresql+psycopg://", 1
        )
    )
    name = f"{url.database}_migrations"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def summary(difference) -> str:
    """``add_table services`` rather than the repr of a whole Table."""
    if isinstance(difference, list):  # column modifications come grouped
        return "; ".join(map(summary, difference))
    operation, *rest = difference
    if operation.startswith("modify_"):
        return f"{operation} {rest[1]}.{rest[2]}"
    target = rest[-1] if operation.endswith("_column") else rest[0]
    table = f"{rest[1]}." if operation.endswith("_column") else ""
    return f"{operation} {table}{getattr(target, 'name', target)}"


def test_migrations_build_the_schema_of_the_models(make_app, empty_database_url):
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        with preserved_logging():
            flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={"compare_type": True, "render_as_batch": True, "include_object": compared_by_autogenerate},
            )
            differences = compare_metadata(context, db.metadata)
        tables = set(sa.inspect(db.engine).get_table_names())
    assert differences == [], "models and migrations disagree; regenerate the migration:\n" + "\n".join(
        map(summary, differences)
    )
    assert set(db.metadata.tables) <= tables


def test_migrations_build_the_dialect_indexes_of_the_models(make_app, empty_database_url):
    """The indexes autogenerate skips: the migrations create each, as create_all does, on this dialect."""
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        with preserved_logging():
            flask_migrate.upgrade()
        inspector = sa.inspect(db.engine)
        migrated = {i["name"]: i for t in inspector.get_table_names() for i in inspector.get_indexes(t)}
    assert DIALECT_INDEXES and set(migrated) >= DIALECT_INDEXES
    assert migrated["ix_conversations_workspace_latest"]["column_names"][0] == "workspace_id"


def row_level_security(engine) -> dict[str, tuple[bool, bool]]:
    """Table → (enabled, forced) for every table under row-level security or a policy."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                "AND (c.relrowsecurity OR c.relforcerowsecurity "
                "     OR EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname))"
            )
        ).all()
    return {name: (enabled, forced) for name, enabled, forced in rows}


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="row-level security is PostgreSQL's (CAREOPS_TEST_DATABASE_URL)")
def test_migrations_put_every_workspace_table_under_row_level_security(make_app, empty_database_url):
    """A migration that adds a table with a workspace_id column and forgets its policy fails here."""
    from careops import rls

    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        with preserved_logging():
            flask_migrate.upgrade()
        expected = dict.fromkeys(rls.workspace_tables(db.metadata), (True, True))
        assert row_level_security(db.engine) == expected
        with preserved_logging():
            flask_migrate.downgrade(revision="83a369c5997a")
        assert row_level_security(db.engine) == {}
        with preserved_logging():
            flask_migrate.upgrade()
        assert row_level_security(db.engine) == expected
