"""The workspace's configuration, read once per change: a version on the workspace row, a cache per process.

A public booking re-read, on every request, configuration that changes a few
times a month: the weekly hours, the date overrides, the resources' capacities,
the channels that can reach a customer — four statements, three of them under
the booking lock that every booking of the calendar queues behind.

**Version.** ``workspaces.config_version`` holds a random token. A session
listener replaces it, *in the same transaction*, whenever a flush writes one of
the :data:`CONFIG_TABLES` or a bulk ``UPDATE``/``DELETE`` reaches one (the
workspace in scope; every workspace when unscoped). So the token changes exactly
when the configuration does, for every worker of every instance, with no
Redis — the embedded default has none — and with nothing to bump after the
commit. Random rather than a counter: a transaction that bumped and then rolled
back must not hand its token (and what was cached under it) to the next change.

**Cache.** :func:`cached` keeps, per process, values computed from those tables
under ``(workspace, token, key)`` in a bounded LRU. The token is read *before*
the rows a value is computed from, so an entry is never labelled newer than
its data; at worst it is labelled older, and then never used again.
:func:`version` reads the token with one small statement, every time: under the
booking lock a check sees a change committed just before the lock; in a
transaction that changed the configuration, the token read is its own new one,
which dies with a rollback. That statement replaces one per table read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from careops import scoping
from careops.db import bulk_write_on, workspaces_written
from careops.extensions import db
from careops.lru import LRU
from careops.workspaces.models import Workspace

T = TypeVar("T")

#: The tables a cached value may be computed from: a write to any of them replaces the token.
#: Named, not imported as models: the watch must not make this domain depend on theirs.
CONFIG_TABLES = frozenset(
    {
        "services",
        "service_resources",
        "resources",
        "availability_rules",
        "availability_overrides",
        "integrations",
    }
)
#: Entries per process: each is a short list or dict (rules, a day's overrides, capacities).
MAX_ENTRIES = 512

_entries: LRU[object] = LRU(MAX_ENTRIES)


def version(workspace_id: str) -> str:
    """The workspace's configuration token, read now (one small statement).

    Never taken from a workspace row loaded earlier: a row can outlive its
    transaction in the session unrefreshed, and its token then says nothing
    about what was committed since.
    """
    table = Workspace.__table__
    # On the session's connection, as Core: the ORM's per-statement work was most of this read's cost.
    token = (
        db.session.connection()
        .execute(sa.select(table.c.config_version).where(table.c.id == workspace_id))
        .scalar_one_or_none()
    )
    return token or ""


def cached(workspace_id: str, token: str, key: tuple, compute: Callable[[], T]) -> T:
    """The value for ``key`` under ``token`` (read by :func:`version` before), computed and kept when missing.

    Values are shared by every later request: keep immutable ones (tuples, frozen dataclasses).
    """
    full = (workspace_id, token, *key)
    hit = _entries.get(full)
    if hit is not None:
        return hit  # type: ignore[return-value]
    value = compute()
    _entries.put(full, value)
    return value


def clear() -> None:
    """Forget this process's entries (tests)."""
    _entries.clear()


# --- The token replaced with the change, in its transaction -----------------------------------------


def _bump(session: Session, workspace_id: str | None) -> None:
    """Give ``workspace_id`` (None: every workspace) a new token, in the session's transaction."""
    token = uuid.uuid4().hex
    stmt = sa.update(Workspace.__table__).values(config_version=token)
    if workspace_id is not None:
        stmt = stmt.where(Workspace.__table__.c.id == workspace_id)
    # On the connection, not through the ORM: no flush, no audit entry, no listener of ours again.
    session.connection().execute(stmt)


@sa.event.listens_for(Session, "after_flush")
def _bump_flushed(session, _flush_context):
    changed = workspaces_written(session, CONFIG_TABLES)
    for workspace_id in {None} if None in changed else changed:
        _bump(session, workspace_id)


@sa.event.listens_for(Session, "do_orm_execute")
def _bump_bulk(state):
    if bulk_write_on(state, CONFIG_TABLES):
        _bump(state.session, scoping.current_workspace_id())
