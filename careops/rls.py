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
- the settings: before a statement on a PostgreSQL engine (:func:`install`)
  whose transaction's settings are not those of the current
  :mod:`careops.scoping` scope — its first statement, or the first after a
  change of scope (the public booking page looks the workspace up by its slug,
  then binds it) — one ``SELECT set_config(…, true)`` copies the scope into
  those two settings, on whatever connection runs the statement (the session's,
  or a thread's own ``engine.begin()``). ``true`` makes them transaction-local
  (``SET LOCAL``): a pooled connection never carries a tenant into the next
  transaction.

An unset scope sets neither, so a workspace table shows no rows at all.
Superusers and roles with BYPASSRLS skip every policy, FORCE or not: the app
must connect as an ordinary role (docs/production.md). SQLite has no
row-level security and keeps the ORM guard only.
"""

from __future__ import annotations

import sqlalchemy as sa

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
    runs inside ``before_cursor_execute``, where a SQLAlchemy execute would
    run this listener again.
    """
    settings = settings_for(scope)
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(_SET, (WORKSPACE_SETTING, settings[0], UNSCOPED_SETTING, settings[1]))
    connection.info[_APPLIED] = settings


def _on_begin(connection) -> None:
    # A new transaction: set_config(…, true) of the last one ended with it.
    connection.info.pop(_APPLIED, None)


def _before_statement(connection, _cursor, _statement, _parameters, _context, _executemany) -> None:
    """Bring the transaction's settings to the current scope before a statement that would read them.

    Lazily, at the statement rather than at each change of scope: a staff
    request goes unset → unscoped (its token's user) → unset → its workspace,
    and a scope left with no statement after it (the request's end) costs
    nothing. Two round trips per request instead of four.
    """
    scope = scoping.current()
    if connection.info.get(_APPLIED) != settings_for(scope) and not _failed(connection):
        _apply(connection, scope)


def install(engine) -> None:
    """Keep ``engine``'s transactions in step with the scope. Nothing on a database other than PostgreSQL."""
    if engine.dialect.name != "postgresql":
        return
    if not sa.event.contains(engine, "begin", _on_begin):
        sa.event.listen(engine, "begin", _on_begin)
        sa.event.listen(engine, "before_cursor_execute", _before_statement)


def _failed(connection) -> bool:
    """The transaction already failed (psycopg's INERROR): a statement would raise, not apply."""
    info = getattr(connection.connection.driver_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    return status is not None and getattr(status, "name", "") == "INERROR"
