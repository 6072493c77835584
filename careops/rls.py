"""Row-level security on PostgreSQL: the database's own copy of the tenant scope.

The ORM adds the workspace filter to queries (:mod:`careops.db`); this module
makes PostgreSQL refuse the rows of other workspaces even to SQL that skipped
the ORM (``sa.text``, Core statements, a forgotten filter). It owns two things:

- the policies: every table with a ``workspace_id`` column has row-level
  security enabled *and forced* (so the table owner, which the app usually
  connects as, is bound too) and one policy, ``careops_tenant``, that lets a
  row be read or written when its ``workspace_id`` is the transaction's
  ``careops.workspace_id`` setting, or when ``careops.unscoped`` is ``on``.
  :func:`enable` emits them (the migration and the test schema use it).
- the settings: at the start of every transaction on a PostgreSQL engine
  (:func:`install`), one ``SELECT set_config(…, true)`` copies the current
  :mod:`careops.scoping` scope into those two settings; a change of scope in
  the middle of a transaction (the public booking page looks the workspace up
  by its slug, then binds it) re-applies them on the session's connection.
  ``true`` makes them transaction-local (``SET LOCAL``): a pooled connection
  never carries a tenant into the next transaction.

An unset scope sets neither, so a workspace table shows no rows at all.
Superusers and roles with BYPASSRLS skip every policy, FORCE or not: the app
must connect as an ordinary role (docs/production.md). SQLite has no
row-level security and keeps the ORM guard only.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from careops import scoping

POLICY = "careops_tenant"
WORKSPACE_SETTING = "careops.workspace_id"
UNSCOPED_SETTING = "careops.unscoped"

#: Who may see a row: its workspace is the one in scope, or the unit of work is unscoped.
#: ``current_setting(…, true)`` is NULL, not an error, before the setting was ever set.
CONDITION = (
    f"workspace_id = current_setting('{WORKSPACE_SETTING}', true) OR current_setting('{UNSCOPED_SETTING}', true) = 'on'"
)

_SET = "SELECT set_config(%s, %s, true), set_config(%s, %s, true)"
#: What was last applied to a pooled connection (``Connection.info`` lives as long as it).
_APPLIED = "careops_rls_scope"
_SESSION_CONNECTION = "careops_rls_connection"


# --- the policies ---------------------------------------------------------


def workspace_tables(metadata: sa.MetaData) -> list[str]:
    """The tables of ``metadata`` that hold workspace rows (a ``workspace_id`` column)."""
    return [table.name for table in metadata.sorted_tables if "workspace_id" in table.c]


def enable_statements(table: str) -> list[str]:
    """The DDL that puts ``table`` under the tenant policy; re-runnable."""
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'CREATE POLICY {POLICY} ON "{table}" USING ({CONDITION}) WITH CHECK ({CONDITION})',
    ]


def disable_statements(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


def enable(connection, tables) -> None:
    """Put ``tables`` (names) under the tenant policy. Nothing on a database other than PostgreSQL."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for statement in enable_statements(table):
            connection.exec_driver_sql(statement)


def disable(connection, tables) -> None:
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for statement in disable_statements(table):
            connection.exec_driver_sql(statement)


# --- the settings ---------------------------------------------------------


def settings_for(scope: scoping.Scope) -> tuple[str, str]:
    """``(careops.workspace_id, careops.unscoped)`` for ``scope``."""
    if scope is scoping.ALL:
        return "", "on"
    return (scope if isinstance(scope, str) else ""), "off"  # scope is a workspace id or None here


def _apply(connection, scope: scoping.Scope) -> None:
    """One round trip: both settings, local to the connection's current transaction.

    Through the driver's connection rather than ``connection.execute``: this
    runs inside the ``begin`` event, where a SQLAlchemy execute would begin again.
    """
    settings = settings_for(scope)
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(_SET, (WORKSPACE_SETTING, settings[0], UNSCOPED_SETTING, settings[1]))
    connection.info[_APPLIED] = settings


def _on_begin(connection) -> None:
    _apply(connection, scoping.current())


def _remember_connection(session, _transaction, connection) -> None:
    # The connection the session's transaction holds, for a change of scope inside it.
    session.info[_SESSION_CONNECTION] = connection


def _forget_connection(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SESSION_CONNECTION, None)


def install(engine) -> None:
    """Keep ``engine``'s transactions in step with the scope. Nothing on a database other than PostgreSQL."""
    if engine.dialect.name != "postgresql":
        return
    if not sa.event.contains(engine, "begin", _on_begin):
        sa.event.listen(engine, "begin", _on_begin)
    if not sa.event.contains(Session, "after_begin", _remember_connection):
        sa.event.listen(Session, "after_begin", _remember_connection)
        sa.event.listen(Session, "after_transaction_end", _forget_connection)


def _scope_changed(scope: scoping.Scope) -> None:
    """Re-apply the settings when the scope changes inside the session's open transaction.

    A transaction that has not started yet needs nothing: its ``begin`` reads
    the new scope. A connection used outside the session (``engine.begin()``)
    keeps the scope it began with. A change made inside a SAVEPOINT that is
    rolled back is undone with it (CareOps uses no savepoints: see
    :func:`careops.db.insert_or_ignore`).
    """
    from flask import has_app_context

    from careops.extensions import db

    if not has_app_context() or not db.session.registry.has():
        return
    session = db.session()
    connection = session.info.get(_SESSION_CONNECTION)
    transaction = session.get_transaction()
    if connection is None or transaction is None or not transaction.is_active or connection.closed:
        return
    if connection.dialect.name != "postgresql" or _failed(connection):
        return  # a failed transaction runs nothing more until its rollback; the next begin applies the scope
    if connection.info.get(_APPLIED) != settings_for(scope):
        _apply(connection, scope)


def _failed(connection) -> bool:
    """The transaction already failed (psycopg's INERROR): a statement would raise, not apply."""
    info = getattr(connection.connection.driver_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    return status is not None and getattr(status, "name", "") == "INERROR"


scoping.on_change(_scope_changed)
