"""Fresh databases and bulk-loaded rows for the benches that load their tables directly.

A bench run owns its database: a file in the run's temporary directory on
SQLite, a database dropped and created on PostgreSQL (each bench its own name,
so two benches never share one). Rows are written with core inserts
(``executemany``) and the ORM's column defaults spelled out, so a calendar of
10,000 bookings loads in seconds; :func:`booking_row` and :func:`contact_row`
are those rows in the shape a booking writes them. :func:`in_process_app` is
the app the in-process benches (slots, sweeps) drive through the test client.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "bench-secret-key-bench-secret-key-0123456789"


def recreate_postgres_database(name: str) -> str:
    """Drop (closing its sessions) and create the PostgreSQL database ``name``; its URL."""
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def fresh_database(kind: str, workdir: Path, bench: str) -> str:
    """An empty database for one run of ``bench``: ``workdir/<bench>.db``, or PostgreSQL's ``careops_<bench>_bench``."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'{bench}.db'}"
    return recreate_postgres_database(f"careops_{bench}_bench")


def in_process_app(url: str, **settings):
    """CareOps on ``url`` for a test-client bench: tasks run inline, no rate limits, cheap password hashes."""
    from careops import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET_KEY,
            "CAREOPS_TASK_QUEUE": "immediate",
            "CAREOPS_RATELIMIT_ENABLED": False,
            "CAREOPS_BCRYPT_ROUNDS": 4,
            "CAREOPS_LOG_LEVEL": "WARNING",
            **settings,
        }
    )


def contact_row(contact_id: str, workspace_id: str, name: str, source: str, now, email: str | None = None) -> dict:
    return {
        "id": contact_id,
        "workspace_id": workspace_id,
        "name": name,
        "email": email,
        "source": source,
        "tags": [],
        "last_activity_at": now,
        "created_at": now,
    }


def booking_row(
    booking_id: str, number: int, workspace_id: str, service_id: str, contact_id: str, start, source: str, now
) -> dict:
    """A confirmed 30-minute booking (no buffers: it occupies exactly its time), reference ``BK-<number>``."""
    end = start + timedelta(minutes=30)
    return {
        "id": booking_id,
        "workspace_id": workspace_id,
        "reference": f"BK-{number:08d}",
        "service_id": service_id,
        "contact_id": contact_id,
        "start": start,
        "end": end,
        "occupied_start": start,
        "occupied_end": end,
        "status": "confirmed",
        "source": source,
        "created_at": now,
        "updated_at": now,
    }


def analyze(engine) -> None:
    """Fresh planner statistics after a bulk load, as autovacuum soon gives them (PostgreSQL only)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
