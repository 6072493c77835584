"""The public slot list's cache: computed slots kept per workspace version, invalidated by every write.

**What is cached.** :func:`careops.bookings.offer.offered_slots` keeps, per
(workspace, service, first day, last day, zone), the slots with room, computed
*without* the notice/horizon cut — that depends on the clock and is applied to
the cached list on every answer. Entries live in this process (a bounded LRU,
:data:`MAX_ENTRIES`, and at most :data:`MAX_AGE` seconds old).

**Version.** An entry is valid only for the workspace's *version*: a random
token in Redis (``CAREOPS_REDIS_URL``), one key per workspace plus one for
"every workspace", read in one ``MGET`` per answer. Every write that can change
an answer replaces the token, so every worker of every instance sharing that
Redis stops using its entries at once. Tokens are random rather than counters:
a Redis that lost its data hands out a fresh token, never an old one again.

**Without Redis, on SQLite** (the embedded default: gunicorn workers sharing one
file) the version is SQLite's own change counter, ``PRAGMA data_version``, read
on the session's connection: it moves whenever *another* connection — of any
process — committed to the file, and never for the connection's own commits.
Those are this process's session commits, which drop this process's entries
(below); every other worker's commit moves the counter. The counter is per
connection, so the version is (a random token of the driver connection, its
counter): each pooled connection has its own entries, and a new connection —
whose counter starts again at the same small numbers — never reads another's.
The whole file counts as one workspace here: another worker's commit makes
every workspace's entries stale. PostgreSQL has no such counter, and Redis is
its production pairing: without Redis, PostgreSQL answers are computed each
time — since the busy ranges are counted in SQL that is a few tens of
milliseconds on a 10,000-booking calendar. ``CAREOPS_SLOT_CACHE = False``
turns the cache off everywhere.

**What bumps.** A session listener, not the service functions: at each flush
the workspaces of new, changed or deleted bookings, booking resources,
services, service resources, resources, availability rules and overrides and
workspaces are noted, and so are bulk ``UPDATE``/``DELETE`` statements on them
(workspace in scope, or every workspace when unscoped); after the commit their
versions are replaced and this process's entries of them dropped (with or
without Redis). A writer added later is caught without touching it.
Bumping after the commit (and not before) means a reader either computes from
the new rows or caches under a token that is about to be replaced. A session
that has flushed such changes and not committed them reads rows that may yet be
rolled back: its answers are computed, not kept.

**Also kept here:** the staff booking list's total
(:func:`careops.bookings.service.cached_total`), a count of rows this cache's
version already follows.

**Outage.** Any Redis error makes the answer computed and uncached — never a
stale one. A bump that fails is retried on this process's next Redis use; in
the meantime the other processes' entries stay at most :data:`MAX_AGE` seconds,
and a booking is re-checked under the lock anyway (a stale slot can only give
``409 SLOT_UNAVAILABLE``, never a double booking).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import redis
import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from careops import scoping
from careops.db import bulk_write_on, workspaces_written
from careops.extensions import db
from careops.lru import LRU

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Entries per process: a 30-day list of a busy service is ~100 kB, so a worker holds at most ~25 MB.
MAX_ENTRIES = 256
#: Seconds an entry may be used at all: bounds staleness when a bump could not reach Redis.
MAX_AGE = 60.0
_KEY = "careops:slots:v:"
_EVERY_WORKSPACE = "*"
_CHANGES = "careops_slot_changes"
#: Key of a driver connection's random token in its ``Connection.info`` (kept for the
#: connection's life, cleared by SQLAlchemy when the connection is replaced).
_CONNECTION = "careops_slot_connection"

_entries: LRU[tuple] = LRU(MAX_ENTRIES)
_clients: dict[str, redis.Redis] = {}
_unbumped: set[str] = set()


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


def _retry_unbumped(client: redis.Redis) -> None:
    while _unbumped:
        workspace = _unbumped.pop()
        try:
            client.set(_KEY + workspace, uuid.uuid4().hex)
        except redis.RedisError:
            _unbumped.add(workspace)
            raise


def _text(token: bytes | str) -> str:
    return token.decode() if isinstance(token, bytes) else token


def version(workspace_id: str) -> tuple[str, str] | None:
    """The tokens an entry of ``workspace_id`` is valid for; None when there is no cache to use."""
    if not enabled():
        return None
    if not current_app.config.get("CAREOPS_REDIS_URL"):
        return _sqlite_version()
    try:
        client = _client()
        _retry_unbumped(client)
        tokens = client.mget([_KEY + _EVERY_WORKSPACE, _KEY + workspace_id])
        fresh = uuid.uuid4().hex.encode()
        for i, name in enumerate((_EVERY_WORKSPACE, workspace_id)):
            if tokens[i] is None:  # first use, or Redis lost its data: a token no entry was made under
                client.set(_KEY + name, fresh, nx=True)
                tokens[i] = client.get(_KEY + name)
        every, own = tokens
        if every is None or own is None:
            return None
        return _text(every), _text(own)
    except redis.RedisError as exc:
        log.warning("slot cache unavailable, computing: %s", exc)
        return None


def _sqlite_version() -> tuple[str, str]:
    """(this driver connection's token, its ``PRAGMA data_version``), read on the session's connection.

    Read before the rows (:func:`cached` asks for it before computing), so an
    entry is tagged with a version at most as new as its rows: a commit from
    another connection landing in between moves the counter, and the next read
    finds a version the entry was not made under — computed again, never a
    newer tag on older rows.
    """
    connection = db.session.connection()
    token = connection.info.get(_CONNECTION)
    if token is None:
        # Not id() of the driver connection: a new connection may get a freed one's
        # address, and its counter starts again at the same small numbers.
        token = connection.info[_CONNECTION] = uuid.uuid4().hex
    return token, str(connection.exec_driver_sql("PRAGMA data_version").scalar_one())


def bump(workspace_id: str | None) -> None:
    """Make every cached answer of ``workspace_id`` (None: of every workspace) stale, everywhere."""
    name = workspace_id or _EVERY_WORKSPACE
    # This process's entries go at once, whatever Redis says.
    _entries.drop(lambda key: workspace_id is None or key[0] == workspace_id)
    if not current_app.config.get("CAREOPS_REDIS_URL"):
        return
    try:
        client = _client()
        client.set(_KEY + name, uuid.uuid4().hex)
        _retry_unbumped(client)
    except redis.RedisError as exc:
        _unbumped.add(name)
        log.warning("slot cache version of %s not replaced (retried later): %s", name, exc)


def cached(workspace_id: str, key: tuple, compute: Callable[[], T]) -> T:
    """The entry for ``key`` under the workspace's current version, computed and kept when missing."""
    # The version is read before the rows: an entry may be tagged older than its rows, never newer.
    tokens = version(workspace_id)
    if tokens is None:
        return compute()
    full = (workspace_id, *key, *tokens)
    now = time.monotonic()
    hit = _entries.get(full)
    if hit is not None and now - hit[0] < MAX_AGE:
        return hit[1]
    value = compute()
    if db.session.info.get(_CHANGES):
        # Computed from rows this session flushed and has not committed (computing
        # autoflushes): a rollback would leave no bump to drop the entry.
        return value
    _entries.put(full, (now, value))
    return value


def clear() -> None:
    """Forget this process's entries (tests)."""
    _entries.clear()
    _unbumped.clear()


# --- Invalidation: noted at flush, applied after commit ---------------------------------------------

#: The tables slots are computed from. Named by table rather than imported as models, so the
#: cache watches other domains' rows without reaching into their ``models`` (the layer contracts).
_WATCHED_TABLES = frozenset(
    {
        "bookings",
        "booking_resources",
        "services",
        "service_resources",
        "resources",
        "availability_rules",
        "availability_overrides",
        "workspaces",
    }
)


def _note(session: Session, workspace_id: str | None) -> None:
    session.info.setdefault(_CHANGES, set()).add(workspace_id)


@sa.event.listens_for(Session, "after_flush")
def _note_flushed(session, _flush_context):
    for workspace_id in workspaces_written(session, _WATCHED_TABLES):
        _note(session, workspace_id)


@sa.event.listens_for(Session, "do_orm_execute")
def _note_bulk(state):
    if bulk_write_on(state, _WATCHED_TABLES):
        _note(state.session, scoping.current_workspace_id())  # None, unscoped or unset: every workspace


@sa.event.listens_for(Session, "after_commit")
def _bump_committed(session):
    changed = session.info.pop(_CHANGES, None)
    if not changed or not has_app_context():
        return
    if None in changed:
        bump(None)
        return
    for workspace_id in changed:
        bump(workspace_id)


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session):
    session.info.pop(_CHANGES, None)
