"""Rate-limit counters in a SQLite file: limits shared by every worker of one machine, without Redis.

Flask-Limiter keeps its counters in a ``limits`` storage. Its in-memory one
counts per process, so with four gunicorn workers a "10 per minute" login
limit allowed up to forty. This storage registers the ``careops+sqlite://``
scheme (``careops+sqlite:////abs/path/ratelimits.db``) for the fixed-window
strategy that CareOps uses: one row per counter, incremented in an
``IMMEDIATE`` transaction so concurrent workers serialise on the file lock.

What holds where (see the README): with ``CAREOPS_REDIS_URL`` the counters are
in Redis and shared by every server; without it they are in this file, in the
instance folder, shared by the processes of one machine (several machines
without Redis each count on their own).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

SCHEME = "careops+sqlite"


class SQLiteStorage(Storage):
    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 -- limits declares it a list attribute; read, never mutated

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        path = (uri or "")[len(f"{SCHEME}://") :]
        if not path.startswith("/"):
            raise ValueError(f"{SCHEME}:// needs an absolute path, as in {SCHEME}:////var/lib/careops/ratelimits.db")
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS rate_counters (key TEXT PRIMARY KEY, "
                "value INTEGER NOT NULL, expires_at REAL NOT NULL)"
            )

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # Autocommit mode: each method opens the transaction it needs.
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute("DELETE FROM rate_counters WHERE key = ? AND expires_at <= ?", (key, now))
            connection.execute(
                "INSERT OR IGNORE INTO rate_counters (key, value, expires_at) VALUES (?, 0, ?)", (key, now + expiry)
            )
            connection.execute("UPDATE rate_counters SET value = value + ? WHERE key = ?", (amount, key))
            value = connection.execute("SELECT value FROM rate_counters WHERE key = ?", (key,)).fetchone()[0]
            if int(now) % 60 == 0:  # now and then, forget counters nobody asks about any more
                connection.execute("DELETE FROM rate_counters WHERE expires_at <= ?", (now,))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return value

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT value FROM rate_counters WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = (
            self._connection()
            .execute("SELECT expires_at FROM rate_counters WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM rate_counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM rate_counters WHERE key = ?", (key,))
