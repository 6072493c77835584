"""Versioned caches: answers kept per process under a version that every write of their tables replaces.

A :class:`Namespace` is one such cache: a name and the tables its answers are
computed from (the slot lists, :mod:`careops.bookings.slot_cache`; the contacts
list's total; the conversations list's totals). Each namespace has its own
versions and its own entries, so a write invalidates only the namespaces that
watch the table written: a new contact or an inbound message leaves the slot
lists cached.

**What is kept.** :meth:`Namespace.cached` keeps, per (workspace, key), a value
in this process (a bounded LRU, ``max_entries``, and at most ``max_age`` seconds
old), valid only for the workspace's *version* read before the value was
computed: an entry may be tagged older than its rows, never newer.

**Version.** With Redis (``CAREOPS_REDIS_URL``), a random token per namespace
and workspace plus one per namespace for "every workspace"
(``careops:<namespace>:v:<workspace id>`` and ``…:v:*``), read in one ``MGET``
per answer. Every write that can change an answer replaces the token, so every
worker of every instance sharing that Redis stops using its entries at once.
Tokens are random rather than counters: a Redis that lost its data hands out a
fresh token, never an old one again.

**Without Redis, on SQLite** (the embedded default: gunicorn workers sharing one
file) the version is SQLite's own change counter, ``PRAGMA data_version``, read
on the session's connection: it moves whenever *another* connection — of any
process — committed to the file, and never for the connection's own commits.
Those are this process's session commits, which drop this process's entries of
the namespaces they wrote (below); every other worker's commit moves the
counter. The counter is per connection, so the version is (a random token of
the driver connection, its counter): each pooled connection has its own
entries, and a new connection — whose counter starts again at the same small
numbers — never reads another's. The counter is the file's: another worker's
commit makes every namespace's entries of every workspace stale. PostgreSQL has
no such counter, and Redis is its production pairing: without Redis,
PostgreSQL answers are computed each time.

``CAREOPS_SLOT_CACHE = False`` turns every namespace off (the setting is named
after the first of them, the slot cache).

**What bumps.** One set of session listeners for every namespace, not the
service functions: at each flush the workspaces of the new, changed or deleted
rows of every watched table are noted, in one pass over the flush, for the
namespaces watching that table; so are ORM ``INSERT``/``UPDATE``/``DELETE``
statements on them (:func:`careops.db.insert_or_ignore`'s, bulk updates: the
workspace in scope, or every workspace when unscoped). After the commit the
noted namespaces' versions of those workspaces are replaced and this process's
entries of them dropped (with or without Redis). A writer added later is caught
without touching it. Bumping after the commit (and not before) means a reader
either computes from the new rows or caches under a token that is about to be
replaced. A session that has flushed changes of a namespace's tables and not
committed them reads rows that may yet be rolled back: its answers of that
namespace are computed, not kept.

**Outage.** Any Redis error makes the answer computed and uncached — never a
stale one. A bump that fails is retried on this process's next use of that
namespace's Redis keys; in the meantime the other processes' entries stay at
most ``max_age`` seconds.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar

import redis
import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import ORMExecuteState, Session

from careops import scoping
from careops.db import bulk_write_on, written_rows
from careops.extensions import db
from careops.lru import LRU

log = logging.getLogger(__name__)
T = TypeVar("T")

_EVERY_WORKSPACE = "*"
#: Key of a session's noted changes in its ``Session.info``: namespace name -> workspaces (None: every one).
_CHANGES = "careops_versioned_changes"
#: Key of a driver connection's random token in its ``Connection.info`` (kept for the
#: connection's life, cleared by SQLAlchemy when the connection is replaced).
CONNECTION_TOKEN = "careops_cache_connection"

_clients: dict[str, redis.Redis] = {}
#: Every namespace by name, and by watched table the namespaces watching it (the flush scan's map).
_namespaces: dict[str, Namespace] = {}
_watchers: dict[str, list[Namespace]] = {}


def enabled() -> bool:
    """Switched on, with a version to check entries against: Redis, or else a SQLite database."""
    if not current_app.config.get("CAREOPS_SLOT_CACHE", True):
        return False
    return bool(current_app.config.get("CAREOPS_REDIS_URL")) or db.engine.dialect.name == "sqlite"


def _client() -> redis.Redis:
    url = current_app.config["CAREOPS_REDIS_URL"]
    if url not in _clients:
        # Short timeouts: a slow Redis must cost an answer little more than computing it.
        _clients[url] = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
    return _clients[url]


def _text(token: bytes | str) -> str:
    return token.decode() if isinstance(token, bytes) else token


def _sqlite_version() -> tuple[str, str]:
    """(this driver connection's token, its ``PRAGMA data_version``), read on the session's connection.

    Read before the rows (:meth:`Namespace.cached` asks for it before computing),
    so an entry is tagged with a version at most as new as its rows: a commit
    from another connection landing in between moves the counter, and the next
    read finds a version the entry was not made under — computed again, never a
    newer tag on older rows.
    """
    connection = db.session.connection()
    token = connection.info.get(CONNECTION_TOKEN)
    if token is None:
        # Not id() of the driver connection: a new connection may get a freed one's
        # address, and its counter starts again at the same small numbers.
        token = connection.info[CONNECTION_TOKEN] = uuid.uuid4().hex
    return token, str(connection.exec_driver_sql("PRAGMA data_version").scalar_one())


class Namespace:
    """One versioned cache: answers computed from ``tables`` (by name), per workspace.

    Tables are named rather than imported as models, so a namespace watches other
    domains' rows without reaching into their ``models`` (the layer contracts).
    ``name`` makes its Redis keys; created once, at import of the module owning it.
    """

    def __init__(self, name: str, tables: Iterable[str], *, max_entries: int, max_age: float = 60.0) -> None:
        if name in _namespaces:
            raise ValueError(f"a versioned cache named {name!r} exists already: they would share their versions")
        self.name = name
        self.tables = frozenset(tables)
        #: Seconds an entry may be used at all: bounds staleness when a bump could not reach Redis.
        self.max_age = max_age
        self.entries: LRU[tuple] = LRU(max_entries)
        #: Workspaces (or "*") whose bump did not reach Redis: replaced on the next use of Redis.
        self.unbumped: set[str] = set()
        self._key = f"careops:{name}:v:"
        _namespaces[name] = self
        for table in self.tables:
            _watchers.setdefault(table, []).append(self)

    def version(self, workspace_id: str) -> tuple[str, str] | None:
        """The tokens an entry of ``workspace_id`` is valid for; None when there is no cache to use."""
        if not enabled():
            return None
        if not current_app.config.get("CAREOPS_REDIS_URL"):
            return _sqlite_version()
        try:
            client = _client()
            self._retry_unbumped(client)
            tokens = client.mget([self._key + _EVERY_WORKSPACE, self._key + workspace_id])
            fresh = uuid.uuid4().hex.encode()
            for i, name in enumerate((_EVERY_WORKSPACE, workspace_id)):
                if tokens[i] is None:  # first use, or Redis lost its data: a token no entry was made under
                    client.set(self._key + name, fresh, nx=True)
                    tokens[i] = client.get(self._key + name)
            every, own = tokens
            if every is None or own is None:
                return None
            return _text(every), _text(own)
        except redis.RedisError as exc:
            log.warning("%s cache unavailable, computing: %s", self.name, exc)
            return None

    def bump(self, workspace_id: str | None) -> None:
        """Make every cached answer of ``workspace_id`` (None: of every workspace) stale, everywhere."""
        name = workspace_id or _EVERY_WORKSPACE
        # This process's entries go at once, whatever Redis says.
        self.entries.drop(lambda key: workspace_id is None or key[0] == workspace_id)
        if not current_app.config.get("CAREOPS_REDIS_URL"):
            return
        try:
            client = _client()
            client.set(self._key + name, uuid.uuid4().hex)
            self._retry_unbumped(client)
        except redis.RedisError as exc:
            self.unbumped.add(name)
            log.warning("%s cache version of %s not replaced (retried later): %s", self.name, name, exc)

    def _retry_unbumped(self, client: redis.Redis) -> None:
        while self.unbumped:
            workspace = self.unbumped.pop()
            try:
                client.set(self._key + workspace, uuid.uuid4().hex)
            except redis.RedisError:
                self.unbumped.add(workspace)
                raise

    def cached(self, workspace_id: str, key: tuple, compute: Callable[[], T]) -> T:
        """The entry for ``key`` under the workspace's current version, computed and kept when missing."""
        # The version is read before the rows: an entry may be tagged older than its rows, never newer.
        tokens = self.version(workspace_id)
        if tokens is None:
            return compute()
        full = (workspace_id, *key, *tokens)
        now = time.monotonic()
        hit = self.entries.get(full)
        if hit is not None and now - hit[0] < self.max_age:
            return hit[1]
        value = compute()
        if db.session.info.get(_CHANGES, {}).get(self.name):
            # Computed from rows this session flushed and has not committed (computing
            # autoflushes): a rollback would leave no bump to drop the entry.
            return value
        self.entries.put(full, (now, value))
        return value

    def cached_total(self, workspace_id: str, *key) -> Callable[[Callable[[], int]], int]:
        """A list's total kept under ``key``, for :meth:`careops.db.WorkspaceRepository.page`'s ``cached_total``."""

        def total(count: Callable[[], int]) -> int:
            return self.cached(workspace_id, key, count)

        return total

    def clear(self) -> None:
        """Forget this process's entries and pending bumps (tests)."""
        self.entries.clear()
        self.unbumped.clear()


def filters_key(filters: dict) -> tuple:
    """A list's query parameters as part of a cache key: the same filters, the same key."""
    return tuple(sorted((k, str(v)) for k, v in filters.items()))


def clear() -> None:
    """Forget every namespace's entries in this process (tests)."""
    for namespace in _namespaces.values():
        namespace.clear()


# --- Invalidation: noted at flush, applied after commit ---------------------------------------------


def _note(session: Session, namespace: Namespace, workspace_id: str | None) -> None:
    session.info.setdefault(_CHANGES, {}).setdefault(namespace.name, set()).add(workspace_id)


@sa.event.listens_for(Session, "after_flush")
def _note_flushed(session, _flush_context):
    # One pass over the flush for every namespace: each row counts for those watching its table.
    for table, workspace_id in written_rows(session, frozenset(_watchers)):
        for namespace in _watchers[table]:
            _note(session, namespace, workspace_id)


@sa.event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState):
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    for namespace in _namespaces.values():
        if bulk_write_on(state, namespace.tables, inserts=True):
            _note(state.session, namespace, scoping.current_workspace_id())  # None, unscoped or unset: every workspace


@sa.event.listens_for(Session, "after_commit")
def _bump_committed(session):
    changed = session.info.pop(_CHANGES, None)
    if not changed or not has_app_context():
        return
    for name, workspaces in changed.items():
        namespace = _namespaces[name]
        if None in workspaces:
            namespace.bump(None)
            continue
        for workspace_id in workspaces:
            namespace.bump(workspace_id)


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session):
    session.info.pop(_CHANGES, None)
