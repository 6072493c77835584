"""What the versioned-cache tests share: where the versions come from, and writes behind a cache's back.

A test module takes the ``versions`` fixture (and the two that follow from it)
with ``from tests.cache_versions import config_overrides, redis_url, versions``:
each of its tests then runs once per source of versions — Redis (skipped when
it does not answer) and, with no Redis configured, SQLite's ``PRAGMA
data_version`` (skipped on PostgreSQL, which keeps nothing without Redis).
"""

from __future__ import annotations

import pytest
import redis as redis_lib
import sqlalchemy as sa

from careops import versioned_cache
from careops.extensions import db
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, is_postgresql

REDIS_URL = TEST_REDIS_URL or "redis://127.0.0.1:6379/7"


def _redis_up() -> bool:
    try:
        return bool(redis_lib.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis_lib.RedisError:
        return False


REDIS_UP = _redis_up()
REDIS = pytest.param("redis", marks=pytest.mark.skipif(not REDIS_UP, reason="the Redis versions need Redis"))
SQLITE = pytest.param(
    "sqlite data_version",
    marks=pytest.mark.skipif(
        is_postgresql(TEST_DATABASE_URL), reason="PostgreSQL without Redis keeps nothing (no data_version)"
    ),
)


@pytest.fixture(params=[REDIS, SQLITE])
def versions(request) -> str:
    """Where the cache's versions come from: Redis, or (no Redis configured) SQLite's data_version."""
    return request.param


@pytest.fixture
def redis_url(versions) -> str | None:
    return REDIS_URL if versions == "redis" else None


@pytest.fixture
def config_overrides(redis_url):
    return {"CAREOPS_REDIS_URL": redis_url}


@pytest.fixture(autouse=True)
def _fresh_cache():
    if REDIS_UP:
        redis_lib.Redis.from_url(REDIS_URL).flushdb()
    versioned_cache.clear()
    yield
    versioned_cache.clear()


def one_connection() -> None:
    """From here on the requests and the test's own writes share one database connection.

    Under pytest-flask the client's requests run in the test's app context, so
    they share its session. Closing that session and the pool's idle connections
    (setting up left several: tasks run immediately, each in its own session)
    leaves the pool empty; the next request opens one connection and, nothing
    holding two at once, every later checkout gets it. SQLite's data_version is
    per connection: a write made on any other would be seen at once.
    """
    db.session.remove()
    db.engine.dispose()


def write_elsewhere(statement: str, **params) -> None:
    """A commit from another connection — another worker's — and no bump: a separate engine on the same file."""
    other = sa.create_engine(db.engine.url)
    try:
        with other.begin() as conn:
            conn.execute(sa.text(statement), params)
    finally:
        other.dispose()
