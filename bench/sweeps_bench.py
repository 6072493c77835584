"""The reminder and outbox sweeps on big tables: one run's time, and that it stays flat once nothing is new.

Loads, into a fresh database (core inserts), one workspace with:

- 100,000 future bookings, each with its pending reminder due before it
  (``scheduled_automations``, the rows the reminder sweep reads),
- 100,000 reminders already done and 100,000 outbox events already delivered
  (the rows handled before: a sweep must not read them),
- 100 reminders and 100 events overdue (their task was lost: the sweep's work).

Then times :func:`careops.automation.booking_messages.sweep` and
:func:`careops.events.sweep` twice each — the second run has nothing new to do
and must cost about what an empty table costs — and prints each selection's
query plan (``EXPLAIN``): an index range, never a scan of the handled rows.

    .venv/bin/python bench/sweeps_bench.py [--db sqlite|postgresql|both] [--rows 100000]

PostgreSQL uses the ``careops_sweeps_bench`` database (dropped and created).
The machine may be shared: read the figures as orders of magnitude.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from data import analyze, booking_row, contact_row, fresh_database, in_process_app  # noqa: E402

OVERDUE = 100


def load(rows: int, workspace_id: str, service_id: str) -> None:
    """The rows of the module docstring, in batches of 5,000 core inserts."""
    from careops.automation.models import ScheduledAutomation
    from careops.bookings.models import Booking
    from careops.contacts.models import Contact
    from careops.db import new_id, utcnow
    from careops.events import MAX_ATTEMPTS, OutboxEvent
    from careops.extensions import db

    now = utcnow()
    contact_id = new_id()
    db.session.execute(sa.insert(Contact), [contact_row(contact_id, workspace_id, "Cara", "staff", now)])
    for batch in range(0, rows, 5000):
        bookings, reminders, done, events = [], [], [], []
        for i in range(batch, min(batch + 5000, rows)):
            booking_id, start = new_id(), now + timedelta(days=1, minutes=i)
            bookings.append(booking_row(booking_id, i, workspace_id, service_id, contact_id, start, "staff", now))
            reminder = {
                "workspace_id": workspace_id,
                "rule_key": "booking_reminder",
                "subject_type": "booking",
                "subject_id": booking_id,
                "occurrence": start.isoformat(),
                "created_at": now,
                "outcome": None,
                "done_at": None,
            }
            reminders.append(
                {
                    **reminder,
                    "id": new_id(),
                    "automation_key": f"reminder:{booking_id}",
                    "due_at": start - timedelta(hours=24),
                    "status": "pending",
                }
            )
            done.append(
                {
                    **reminder,
                    "id": new_id(),
                    "automation_key": f"done:{booking_id}",
                    "due_at": now - timedelta(days=30, minutes=i),
                    "status": "done",
                    "done_at": now,
                    "outcome": "queued",
                }
            )
            events.append(
                {
                    "id": new_id(),
                    "workspace_id": workspace_id,
                    "name": "booking_created",
                    "payload": {"booking_id": booking_id},
                    "created_at": now - timedelta(days=1, seconds=i),
                    "delivered_at": now - timedelta(days=1),
                    "attempts": 1,
                }
            )
        db.session.execute(sa.insert(Booking), bookings)
        db.session.execute(sa.insert(ScheduledAutomation), reminders + done)
        db.session.execute(sa.insert(OutboxEvent), events)
        db.session.commit()
    # What the sweeps are for: rows whose task was lost (subjects that no longer exist: handled as such).
    db.session.execute(
        sa.insert(ScheduledAutomation),
        [
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "rule_key": "booking_reminder",
                "subject_type": "booking",
                "subject_id": str(uuid.uuid4()),
                "occurrence": str(i),
                "automation_key": f"lost:{i}",
                "due_at": now - timedelta(hours=1),
                "status": "pending",
                "created_at": now,
            }
            for i in range(OVERDUE)
        ],
    )
    db.session.execute(
        sa.insert(OutboxEvent),
        [
            # Their booking is gone, so their receivers fail; on their last attempt, so the first
            # run retires them and the second has nothing new to do (as after a real backlog).
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "name": "booking_created",
                "payload": {"booking_id": str(uuid.uuid4())},
                "created_at": now - timedelta(hours=1),
                "attempts": MAX_ATTEMPTS - 1,
            }
            for _ in range(OVERDUE)
        ],
    )
    db.session.commit()
    analyze(db.engine)


def plan(stmt) -> str:
    from careops.extensions import db

    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.execute(sa.text(prefix + str(compiled))).all()
    db.session.rollback()
    return "\n".join("      " + " ".join(str(c) for c in row) for row in rows)


def selections():
    """The two sweeps' selections, as they build them (read back from their source's criteria)."""
    from careops import events
    from careops.automation import booking_messages
    from careops.automation.models import ScheduledAutomation
    from careops.db import utcnow
    from careops.events import OutboxEvent

    now = utcnow()
    reminders = (
        sa.select(ScheduledAutomation.id)
        .where(
            ScheduledAutomation.status == "pending", ScheduledAutomation.due_at <= now - booking_messages.SWEEP_AFTER
        )
        .order_by(ScheduledAutomation.due_at)
        .limit(500)
    )
    outbox = (
        sa.select(OutboxEvent.id)
        .where(
            OutboxEvent.delivered_at.is_(None),
            OutboxEvent.created_at <= now - events.SWEEP_AFTER,
            OutboxEvent.attempts < events.MAX_ATTEMPTS,
        )
        .order_by(OutboxEvent.created_at)
        .limit(500)
    )
    return {"reminder sweep": reminders, "outbox sweep": outbox}


def run(kind: str, rows: int) -> list[str]:
    from careops import events, scoping
    from careops.automation import booking_messages
    from careops.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="careops-sweeps-"))
    url = fresh_database(kind, workdir, "sweeps")
    app = in_process_app(url, CAREOPS_LOG_LEVEL="ERROR")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    r = client.post(
        "/api/v1/auth/register",
        json={
            "email": f"sweeps-{uuid.uuid4().hex[:8]}@example.com",
            "password": "bench-password-1",
            "full_name": "Bench Owner",
            "workspace_name": "Sweeps Clinic",
            "timezone": "Europe/Berlin",
        },
    )
    assert r.status_code == 201, r.get_json()
    auth = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
    resource = client.get("/api/v1/resources", headers=auth).get_json()[0]
    service = client.post(
        "/api/v1/services",
        headers=auth,
        json={"name": "Consultation", "duration_minutes": 30, "resource_ids": [resource["id"]]},
    ).get_json()
    lines = [
        f"{kind}: {rows} future bookings with pending reminders, {rows} done reminders, "
        f"{rows} delivered events, {OVERDUE} overdue of each"
    ]
    with app.app_context(), scoping.unscoped():
        t0 = time.perf_counter()
        load(rows, r.get_json()["workspace"]["id"], service["id"])
        lines.append(f"  loaded in {time.perf_counter() - t0:.1f} s")
        for name, stmt in selections().items():
            lines.append(f"  {name} plan:\n{plan(stmt)}")
        for name, sweep in (("reminder sweep", booking_messages.sweep), ("outbox sweep", events.sweep)):
            for attempt in ("first run", "second run"):
                t0 = time.perf_counter()
                handled = sweep()
                spent = time.perf_counter() - t0
                lines.append(f"  {name:<15} {attempt:<11} {spent * 1000:9.1f} ms   {handled} rows handled")
        db.session.remove()
        db.engine.dispose()
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        print("\n".join(run(kind, args.rows)), flush=True)


if __name__ == "__main__":
    main()
