"""Dashboard benchmark: ``GET /dashboard`` of a busy workspace, in process, on SQLite and PostgreSQL.

One workspace is loaded with 100,000 bookings (two years around today,
every status), 20,000 contacts with their conversations and 50,000 messages
(bulk inserts, not the API), plus the other tables the dashboard counts when
their domains are installed. Then ``GET /dashboard`` is called N times through
Flask's test client as the owner and the median and p95 are printed, with the
query plans of the booking counts.

    .venv/bin/python bench/dashboard_bench.py [--db sqlite|postgresql|both] [--calls 50]
        [--postgres-url postgresql://postgres@127.0.0.1/careops_dashboard_bench]

The PostgreSQL database named by ``--postgres-url`` (or
``CAREOPS_BENCH_DATABASE_URL``) is dropped and created again.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from careops import create_app  # noqa: E402
from careops.extensions import db  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/careops_alerts_bench"
BOOKINGS, CONTACTS, MESSAGES = 100_000, 20_000, 50_000
CHUNK = 5_000
TZ = "Europe/Berlin"


def fresh_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(
        url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def build_app(url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CAREOPS_TASK_QUEUE": "immediate",
            "SECRET_KEY": "bench-" + "x" * 40,
            "CAREOPS_RATELIMIT_ENABLED": False,
            "CAREOPS_LOAD_ENTRYPOINT_PLUGINS": False,
            "CAREOPS_BCRYPT_ROUNDS": 4,
            "CAREOPS_LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        db.create_all()
    return app


def insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[start : start + CHUNK])
    db.session.commit()


def load(app, client) -> dict:
    """Register an owner, then bulk-load the workspace; returns the owner's auth headers."""
    from careops.bookings.models import Booking
    from careops.contacts.models import Contact
    from careops.inbox.models import Conversation, Message

    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "owner@bench.example",
            "password": "bench-password-1",
            "full_name": "Bench Owner",
            "workspace_name": "Bench Clinic",
            "timezone": TZ,
        },
    )
    assert response.status_code == 201, response.get_json()
    headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    workspace_id = response.get_json()["user"]["workspace_id"]
    service = client.post("/api/v1/services", json={"name": "Visit", "duration_minutes": 30}, headers=headers)
    service_id = service.get_json()["id"]
    rng = random.Random(7)
    now = datetime.now(UTC)
    with app.app_context():
        started = time.perf_counter()
        contacts = [
            {
                "id": str(uuid.uuid4()),
                "workspace_id": workspace_id,
                "name": f"Customer {i}",
                "email": f"c{i}@bench.example",
                "source": "staff",
                "tags": [],
                "created_at": now,
            }
            for i in range(CONTACTS)
        ]
        insert(Contact.__table__, contacts)
        conversations = []
        for c in contacts:
            customer_at = now - timedelta(hours=rng.uniform(0, 24 * 90))
            replied = rng.random() < 0.8
            conversations.append(
                {
                    "id": str(uuid.uuid4()),
                    "workspace_id": workspace_id,
                    "contact_id": c["id"],
                    "status": "open" if rng.random() < 0.7 else "closed",
                    "automation_paused": False,
                    "unread_count": 0,
                    "last_message_at": customer_at,
                    "last_customer_message_at": customer_at,
                    "last_staff_reply_at": customer_at + timedelta(minutes=30) if replied else None,
                    "created_at": now,
                }
            )
        insert(Conversation.__table__, conversations)
        messages = []
        for i in range(MESSAGES):
            conversation = conversations[i % CONTACTS]
            direction = "in" if i % 2 else "out"
            messages.append(
                {
                    "id": str(uuid.uuid4()),
                    "workspace_id": workspace_id,
                    "conversation_id": conversation["id"],
                    "direction": direction,
                    "channel": "email",
                    "author": "customer" if direction == "in" else "system",
                    "body": "Hello",
                    "status": "delivered" if direction == "in" else "sent",
                    "attachments": [],
                    "attempts": 0,
                    "created_at": now - timedelta(hours=rng.uniform(0, 24 * 90)),
                }
            )
        insert(Message.__table__, messages)
        statuses = ["confirmed"] * 5 + ["completed"] * 3 + ["cancelled", "no_show", "pending"]
        bookings = []
        for i in range(BOOKINGS):
            start = (now - timedelta(days=365) + timedelta(minutes=30 * rng.randrange(2 * 365 * 48))).replace(
                second=0, microsecond=0
            )
            bookings.append(
                {
                    "id": str(uuid.uuid4()),
                    "workspace_id": workspace_id,
                    "reference": f"BK-{i:08d}",
                    "service_id": service_id,
                    "contact_id": contacts[i % CONTACTS]["id"],
                    "start": start,
                    "end": start + timedelta(minutes=30),
                    "occupied_start": start,
                    "occupied_end": start + timedelta(minutes=30),
                    "status": rng.choice(statuses),
                    "source": "staff",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        insert(Booking.__table__, bookings)
        db.session.execute(sa.text("ANALYZE"))  # fresh statistics, as a live database would have
        db.session.commit()
        print(
            f"  loaded {BOOKINGS:,} bookings, {CONTACTS:,} contacts, {MESSAGES:,} messages "
            f"in {time.perf_counter() - started:.1f}s"
        )
    return headers


def measure(client, headers, calls: int) -> tuple[float, float, dict]:
    timings = []
    body = None
    for _ in range(calls + 3):
        started = time.perf_counter()
        response = client.get("/api/v1/dashboard", headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
    timings = sorted(timings[3:])  # the first calls warm caches
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], body


def plans(app, workspace_id: str) -> list[str]:
    """The plans of the dashboard's booking range and conversation counts (which index each uses)."""
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        prefix, now = ("EXPLAIN QUERY PLAN ", "datetime('now')") if sqlite else ("EXPLAIN ", "now()")
        week = "datetime('now', '+8 days')" if sqlite else "now() + interval '8 days'"
        lines = []
        for query in (
            f"SELECT count(*) FILTER (WHERE status = 'no_show') FROM bookings "
            f"WHERE workspace_id = '{workspace_id}' AND start >= {now} AND start < {week}",
            f"SELECT count(*) FROM bookings WHERE workspace_id = '{workspace_id}' AND status = 'pending'",
            f"SELECT count(*) FROM messages WHERE workspace_id = '{workspace_id}' AND direction = 'in' "
            f"AND created_at >= {now}",
        ):
            rows = db.session.execute(sa.text(prefix + query)).all()
            lines.append(" | ".join(" ".join(str(c) for c in row) for row in rows))
        return lines


def run(kind: str, calls: int, pg_url: str) -> None:
    print(f"== {kind}")
    if kind == "sqlite":
        workdir = tempfile.mkdtemp(prefix="careops-dashboard-bench-")
        url = f"sqlite:///{workdir}/bench.db"
    else:
        fresh_postgres(pg_url)
        url = pg_url
    app = build_app(url)
    client = app.test_client()
    headers = load(app, client)
    workspace_id = client.get("/api/v1/auth/me", headers=headers).get_json()["workspace_id"]
    median, p95, body = measure(client, headers, calls)
    print(f"  GET /dashboard over {calls} calls: median {median:.1f} ms, p95 {p95:.1f} ms")
    print(f"  bookings {body['bookings']}, inbox {body['inbox']}, today listed {len(body['today'])}")
    for line in plans(app, workspace_id):
        print(f"  plan: {line}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--postgres-url", default=os.environ.get("CAREOPS_BENCH_DATABASE_URL", DEFAULT_PG))
    args = parser.parse_args()
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(kind, args.calls, args.postgres_url)


if __name__ == "__main__":
    main()
