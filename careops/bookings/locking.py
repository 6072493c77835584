"""The booking lock: one writer at a time per resource, held until the transaction ends.

Every write that makes a booking hold resources (create, reschedule) runs
*check-then-insert* inside :func:`booking_lock`, so no two transactions can both
see a free slot and both take it — across threads, gunicorn workers and hosts.

- **PostgreSQL**: ``pg_advisory_xact_lock`` on one 64-bit key per resource, taken
  in sorted order (two bookings of overlapping resource sets cannot deadlock).
  The locks are released by the commit or rollback. The wait is bounded by
  ``SET LOCAL lock_timeout`` (``CAREOPS_BOOKING_LOCK_TIMEOUT_MS``, 10 s): past
  it the request answers 503 ``SERVICE_UNAVAILABLE`` with ``Retry-After``. Reads after the lock see
  every booking committed before it (READ COMMITTED takes a snapshot per statement).
- **SQLite**: ``BEGIN IMMEDIATE`` takes the database's write lock at the start of
  the transaction (pysqlite would otherwise begin lazily, at the first write,
  after the overlap check). SQLite has one writer per database anyway, so
  locking per resource would buy nothing. Other writers wait up to the
  connection's busy ``timeout`` (30 s, see :mod:`careops.config`).

  Bookings first queue on an ``flock`` of ``<database>-booking``, polled every
  millisecond for up to the same lock timeout (then 503, as on PostgreSQL).
  SQLite's own busy handler backs off to sleeps of up to 100 ms: a waiting
  worker slept through the holder's next booking and the one after, so two
  workers booked little faster than one (``bench/booking_bench.py``). The queue
  hands the write lock over within a millisecond of the commit: it is left at
  the commit, before the after-commit calls run. In-memory databases have no
  file and skip it.

The lock must open the transaction: call it before the request writes anything.
Only booking writes use it; the rest of the app keeps pysqlite's default.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import time
from contextlib import contextmanager
from typing import cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from careops.errors import ServiceUnavailable
from careops.extensions import db


def lock_key(resource_id: str) -> int:
    """A signed 64-bit advisory-lock key for a resource (stable across processes and versions)."""
    digest = hashlib.sha256(f"careops.resource:{resource_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def booking_lock(resource_ids):
    """Hold the write lock of ``resource_ids`` for the rest of the session's transaction.

    The body checks capacity and writes; the caller commits (which releases the
    lock). An exception inside the body rolls the transaction back.
    """
    session = db.session
    connection = session.connection()
    dialect = connection.dialect.name
    # A stuck transaction elsewhere must not hold requests forever: wait a
    # bounded time, then answer 503 (the client retries) instead.
    timeout_ms = int(current_app.config.get("CAREOPS_BOOKING_LOCK_TIMEOUT_MS", 10000))
    if dialect == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {timeout_ms:d}")
        try:
            for key in sorted({lock_key(rid) for rid in resource_ids}):
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        except sa.exc.OperationalError as error:
            session.rollback()
            if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise _busy() from None
            raise
    elif dialect == "sqlite":
        driver = cast("sqlite3.Connection", connection.connection.driver_connection)
        if driver.in_transaction:
            raise RuntimeError("booking_lock must start the transaction: commit or roll back first")
        queue = _join_queue(connection.engine.url.database, timeout_ms)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queue is not None:
                os.close(queue)
            raise
        if queue is not None:
            session.info[_QUEUE] = queue
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"no booking lock for {dialect}")
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    finally:
        _leave_queue(session)


#: Where the session keeps the descriptor holding its place at the head of the SQLite booking queue.
_QUEUE = "careops_booking_queue"


def _leave_queue(session) -> None:
    queue = session.info.pop(_QUEUE, None)
    if queue is not None:
        os.close(queue)  # closing the descriptor releases its flock


@sa.event.listens_for(Session, "after_commit", insert=True)
def _leave_queue_at_commit(session):
    # The COMMIT released SQLite's write lock: the next booking may start now rather than
    # after what runs once the commit is done (the outbox's task enqueues, ~0.4 ms per
    # booking, into another database). Inserted first, before careops.after_commit's listener.
    _leave_queue(session)


def _busy() -> ServiceUnavailable:
    return ServiceUnavailable("The calendar is busy; please try again in a moment", headers={"Retry-After": "1"})


def _join_queue(database: str | None, timeout_ms: int) -> int | None:
    """An open descriptor holding the exclusive flock of the database's booking queue (None: in memory).

    ``flock`` has no timeout, hence the non-blocking attempt polled each
    millisecond. Each call opens its own descriptor, so threads of one process
    queue like processes do; the kernel drops the lock of a process that dies.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    fd = os.open(database + "-booking", os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise _busy() from None
            time.sleep(0.001)
