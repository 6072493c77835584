"""Booking path and staff lists under wrk, against the stack's ceiling, on SQLite and PostgreSQL.

For each database it starts CareOps as `make run` does (gunicorn with
``careops.gunicorn_conf``, 2 sync workers, the schema built by
``flask db upgrade``), sets up one workspace through the API (one resource of
capacity 1,000, one 30-minute service, 08:00–20:00 every day), loads the
calendar directly into the database (10,000 confirmed bookings spread over the
next 30 days, one new contact and conversation each: the rows a public booking
writes), then measures each scenario with ``wrk -t2 -c32 -d10s``:

- public booking (``POST /public/{slug}/bookings``, every request a new valid
  booking: the Lua script builds each body from a counter),
- the staff booking list, contacts list and conversations list (pages of 20),
- public slots for 30 days,

and, in the same run with the same gunicorn settings, the ceiling
(``bench/ceiling_app.py``): an insert with an overlap check, and a list of 20.
The table gives req/s, p50, p99 and the share of the ceiling (inserts against
the insert ceiling, reads against the list ceiling). A last line checks in the
database that no resource ever holds more bookings than its capacity.

    .venv/bin/python bench/booking_bench.py [--db sqlite|postgresql|both] [--quick]

``--quick`` is the smoke mode (200 bookings over 3 days, 1-second runs, SQLite
by default) that ``tests/core/test_bench_smoke.py`` runs so this script cannot
rot. The task consumer is not started: the events the load produces wait in the
queue, so the figures are the web tier's alone. PostgreSQL runs use the
``careops_bench`` database (dropped and created) and Redis dbs 9 and 10.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from data import SECRET_KEY, recreate_postgres_database  # noqa: E402
from harness import BIN, HEADER, ROOT, WrkMissing, cycling_get, find_wrk, gunicorn, lua_string_list, row, wrk  # noqa: E402

PG_NAME = "careops_bench"
REDIS_DBS = (9, 10)  # the task queue's, then shared state's
CAPACITY = 1000
TZ = "Europe/Berlin"
OPEN, CLOSE = 8, 20  # every day, 30-minute slots
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def prepare_database(kind: str, workdir: Path, pg_name: str = PG_NAME, redis_dbs: tuple[int, int] = REDIS_DBS) -> dict:
    """A fresh database and queue for one run; returns the environment CareOps runs with.

    On PostgreSQL: the database ``pg_name`` (dropped and created), the task
    queue and shared state in the Redis dbs ``redis_dbs`` (emptied), so that
    each bench has its own.
    """
    if kind == "sqlite":
        env = {
            "CAREOPS_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
            "CAREOPS_TASK_QUEUE": f"sqlite:///{workdir / 'tasks.db'}",
        }
    else:
        queue_db, state_db = redis_dbs
        env = {
            "CAREOPS_DATABASE_URL": recreate_postgres_database(pg_name),
            "CAREOPS_TASK_QUEUE": f"redis://127.0.0.1:6379/{queue_db}",
            "CAREOPS_REDIS_URL": f"redis://127.0.0.1:6379/{state_db}",
        }
        import redis

        for db_number in redis_dbs:
            redis.Redis(db=db_number).flushdb()
    env.update(
        {
            "CAREOPS_SECRET_KEY": SECRET_KEY,
            "CAREOPS_RATELIMIT_PUBLIC": "100000000/minute",
            "CAREOPS_RATELIMIT_LOGIN": "100000000/minute",
            "CAREOPS_LOG_LEVEL": "WARNING",
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
        }
    )
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"flask db upgrade failed: {done.stderr[-3000:]}")
    return env


def setup_workspace(base: str) -> dict:
    """An active workspace: one resource of capacity 1,000, one 30-minute service, open 08:00–20:00 daily."""
    s = requests.Session()
    r = s.post(
        f"{base}/api/v1/auth/register",
        json={
            "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
            "password": "bench-password-1",
            "full_name": "Bench Owner",
            "workspace_name": "Bench Clinic",
            "timezone": TZ,
        },
    )
    r.raise_for_status()
    s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    slug, workspace_id = r.json()["workspace"]["slug"], r.json()["workspace"]["id"]
    resource = s.get(f"{base}/api/v1/resources").json()[0]
    s.patch(f"{base}/api/v1/resources/{resource['id']}", json={"capacity": CAPACITY}).raise_for_status()
    service = s.post(
        f"{base}/api/v1/services",
        json={
            "name": "Consultation",
            "duration_minutes": 30,
            "resource_ids": [resource["id"]],
            "min_notice_minutes": 0,
            "booking_horizon_days": 400,
        },
    ).json()
    s.put(
        f"{base}/api/v1/availability",
        json={
            "rules": [
                {"weekday": d, "start": f"{OPEN:02d}:00", "end": f"{CLOSE:02d}:00"}
                for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            ]
        },
    ).raise_for_status()
    s.put(
        f"{base}/api/v1/integrations/email", json={"provider": "console", "config": {}, "enabled": True, "priority": 1}
    ).raise_for_status()
    s.post(f"{base}/api/v1/workspace/activate").raise_for_status()
    return {
        "slug": slug,
        "workspace_id": workspace_id,
        "service_id": service["id"],
        "resource_id": resource["id"],
        "token": s.headers["Authorization"],
    }


def slot_starts(first: date, days: int) -> list[datetime]:
    """Every 30-minute start of the opening hours, ``days`` days from ``first``, aware in the workspace's zone."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(TZ)
    starts = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for half_hour in range((CLOSE - OPEN) * 2):
            starts.append(
                datetime(day.year, day.month, day.day, OPEN, 0, tzinfo=zone) + timedelta(minutes=30 * half_hour)
            )
    return starts


def reference(i: int) -> str:
    """A distinct reference per row, in the API's shape (``BK-`` and six letters of its alphabet)."""
    letters = []
    for _ in range(6):
        i, digit = divmod(i, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    return "BK-" + "".join(reversed(letters))


def load_calendar(env: dict, workspace_id: str, service_id: str, count: int, first: date, days: int) -> None:
    """``count`` confirmed bookings over ``days`` days, round-robin over the slots, written directly.

    The rows are built from CareOps's models (their defaults included), as a
    public booking writes them — a contact, its conversation, the booking and
    the resource it holds — in batches of 500 bookings, through a plain session
    (no app: building one costs seconds): seconds instead of minutes of API calls.
    """
    import importlib
    import pkgutil

    import careops
    from careops.bookings import offer

    for module in pkgutil.iter_modules(careops.__path__):  # every table, for the foreign keys to resolve
        if (Path(careops.__path__[0]) / module.name / "models.py").exists():
            importlib.import_module(f"careops.{module.name}.models")
    from contextlib import nullcontext

    from careops.bookings.models import Booking, BookingResource
    from careops.contacts.models import Contact
    from careops.inbox.models import Conversation
    from careops.services.models import Service

    try:  # the tenant scope, where CareOps has one: the loader works for this one workspace
        from careops.scoping import workspace_scope
    except ImportError:
        workspace_scope = None  # noqa: N806
    engine = _engine(env)
    with sa.orm.Session(engine) as session, workspace_scope(workspace_id) if workspace_scope else nullcontext():
        service = session.get(Service, service_id)
        shape = offer.spec(service)
        resource_ids = list(service.resource_ids)
        starts = [s.astimezone(UTC) for s in slot_starts(first, days)]
        contacts, rest = [], []

        def write():
            session.add_all(contacts)
            session.flush()  # contacts first: bookings and conversations refer to them
            session.add_all(rest)
            session.commit()
            contacts.clear()
            rest.clear()

        for i in range(count):
            start = starts[i % len(starts)]
            occupied_start, occupied_end = shape.occupied(start)
            contact = Contact(
                id=str(uuid.uuid4()),
                workspace_id=workspace_id,
                name=f"Customer {i}",
                email=f"customer{i}@example.com",
                source="public",
                tags=[],
            )
            contacts.append(contact)
            rest += [
                Conversation(workspace_id=workspace_id, contact_id=contact.id),
                Booking(
                    workspace_id=workspace_id,
                    reference=reference(i),
                    service_id=service_id,
                    contact_id=contact.id,
                    start=start,
                    end=start + shape.duration,
                    occupied_start=occupied_start,
                    occupied_end=occupied_end,
                    status="confirmed",
                    source="public",
                    resource_links=[BookingResource(resource_id=rid) for rid in resource_ids],
                ),
            ]
            if len(contacts) >= 500:
                write()
        write()
    if engine.dialect.name == "postgresql":  # fresh planner statistics, as autovacuum soon gives
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    engine.dispose()


#: Lua numbering wrk's threads: ``tid`` is global because setup() sets it after the script is loaded (a local would stay 0).
THREAD_ID_LUA = """
tid = 0
local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
"""


def booking_body_lua(service_id: str, starts: list[str], tag: str) -> str:
    """Lua defining ``booking_body(tid, counter)``: a valid new public booking for each (thread, counter) pair.

    The slot and the customer come from the pair, so no two requests of one run
    book for the same customer; ``tag`` sets runs apart.
    """
    return f"""
local starts = {lua_string_list(starts)}
local function booking_body(tid, counter)
  local start = starts[((counter * 7 + tid) % #starts) + 1]
  return string.format(
    '{{"service_id":"{service_id}","start":"%s","name":"Walk-in %d-%d","email":"walkin-{tag}-%d-%d@example.com"}}',
    start, tid, counter, tid, counter)
end
"""


def public_booking_script(path: str, service_id: str, starts: list[str], tag: str) -> str:
    """Each request a new booking: slot and customer from a per-thread counter."""
    return (
        booking_body_lua(service_id, starts, tag)
        + THREAD_ID_LUA
        + f"""
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "{path}", {{["Content-Type"] = "application/json"}}, booking_body(tid, counter))
end
"""
    )


def ceiling_insert_script(resource: str, slots: list[tuple[str, str]]) -> str:
    return f"""
local starts = {lua_string_list(s for s, _ in slots)}
local ends = {lua_string_list(e for _, e in slots)}
local counter = 0
{THREAD_ID_LUA}
request = function()
  counter = counter + 1
  local i = ((counter * 7 + tid) % #starts) + 1
  local body = string.format('{{"resource":"{resource}","start":"%s","end":"%s","name":"Walk-in %d-%d"}}',
                             starts[i], ends[i], tid, counter)
  return wrk.format("POST", "/ceiling/bookings", {{["Content-Type"] = "application/json"}}, body)
end
"""


def run(kind: str, args) -> tuple[list[str], dict]:
    started = time.monotonic()

    def step(what):
        print(f"  {time.monotonic() - started:5.1f}s {what}", flush=True)

    print(
        f"== {kind}: {args.bookings} bookings over {args.days} days, wrk -t2 -c{args.connections} -d{args.seconds}s",
        flush=True,
    )
    measure = dict(seconds=args.seconds, connections=args.connections)
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        env = prepare_database(kind, Path(tmp))
        results = {}
        step("database ready")
        from ceiling_app import create_schema

        create_schema(env["CAREOPS_DATABASE_URL"])
        # Both servers start together (their imports overlap); the idle one costs nothing while the other is measured.
        with gunicorn(
            ("wsgi:app", env, "python:careops.gunicorn_conf"),
            ("ceiling_app:app", {**env, "PYTHONPATH": str(ROOT / "bench")}, None),
        ) as (base, ceiling):
            step("CareOps serving")
            ws = setup_workspace(base)
            load_calendar(env, ws["workspace_id"], ws["service_id"], args.bookings, today, args.days)
            step("calendar loaded")
            staff = {"Authorization": ws["token"]}
            pages = max(1, min(50, args.bookings // 20))
            frm, to = today, today + timedelta(days=args.days - 1)
            # Tomorrow on: every start is still offered (no notice has passed), capacity is far off.
            free = [s.isoformat() for s in slot_starts(today + timedelta(days=1), max(1, args.days - 1))]
            results["public booking"] = wrk(
                base,
                public_booking_script(f"/api/v1/public/{ws['slug']}/bookings", ws["service_id"], free, kind),
                **measure,
            )
            results["staff booking list, page of 20"] = wrk(
                base,
                cycling_get(
                    [f"/api/v1/bookings?from={frm}&to={to}&page={p}&page_size=20" for p in range(1, pages + 1)]
                ),
                headers=staff,
                **measure,
            )
            results["contacts list, page of 20"] = wrk(
                base,
                cycling_get([f"/api/v1/contacts?page={p}&page_size=20" for p in range(1, pages + 1)]),
                headers=staff,
                **measure,
            )
            results["conversations list, page of 20"] = wrk(
                base,
                cycling_get([f"/api/v1/conversations?page={p}&page_size=20" for p in range(1, pages + 1)]),
                headers=staff,
                **measure,
            )
            results[f"public slots, {args.days} days"] = wrk(
                base,
                cycling_get([f"/api/v1/public/{ws['slug']}/services/{ws['service_id']}/slots?from={frm}&to={to}"]),
                **measure,
            )
            step("CareOps measured")
            slots = [(s, (datetime.fromisoformat(s) + timedelta(minutes=30)).isoformat()) for s in free]
            insert_ceiling = wrk(ceiling, ceiling_insert_script(ws["resource_id"], slots), **measure)
            list_ceiling = wrk(
                ceiling, cycling_get([f"/ceiling/bookings?page={p}" for p in range(1, pages + 1)]), **measure
            )
        capacity_line = check_capacity(env)
    lines = [
        f"== {kind}",
        HEADER,
        row("ceiling: insert with overlap check", insert_ceiling),
        row("ceiling: list of 20", list_ceiling),
    ]
    for name, figures in results.items():
        lines.append(row(name, figures, insert_ceiling if name == "public booking" else list_ceiling))
    lines.append(capacity_line)
    print("\n".join(lines), flush=True)
    return lines, {"ceiling insert": insert_ceiling, "ceiling list": list_ceiling, **results}


def _engine(env):
    from careops.config import database_url

    return sa.create_engine(database_url(env["CAREOPS_DATABASE_URL"]))


def check_capacity(env) -> str:
    """The largest number of holding bookings any resource has at one instant, from the database."""
    engine = _engine(env)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("""
            SELECT br.resource_id, b.occupied_start, b.occupied_end FROM bookings b
            JOIN booking_resources br ON br.booking_id = b.id
            WHERE b.status IN ('pending', 'confirmed')""")
        ).all()
        capacities = dict(conn.execute(sa.text("SELECT id, capacity FROM resources")).all())
    engine.dispose()
    edges: dict[str, list] = {}
    for resource_id, start, end in rows:
        edges.setdefault(resource_id, []).extend([(_aware(start), 1), (_aware(end), -1)])
    worst = {}
    for resource_id, points in edges.items():
        level = peak = 0
        for _, step in sorted(points, key=lambda p: (p[0], p[1])):  # an end frees before a start takes
            level += step
            peak = max(peak, level)
        worst[resource_id] = (peak, capacities[resource_id])
    broken = {r: v for r, v in worst.items() if v[0] > v[1]}
    peak_line = ", ".join(f"peak {p} of capacity {c}" for p, c in worst.values())
    return f"double booking check over {len(rows)} holding bookings: {peak_line}; violations: {broken or 'none'}"


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", choices=("sqlite", "postgresql", "both"), default=None, help="default: both (sqlite with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke mode: tiny calendar, 1-second runs")
    parser.add_argument("--bookings", type=int, default=None, help="default 10000 (200 with --quick)")
    parser.add_argument("--days", type=int, default=None, help="default 30 (3 with --quick)")
    parser.add_argument("--seconds", type=int, default=None, help="per scenario; default 10 (1 with --quick)")
    parser.add_argument("--connections", type=int, default=None, help="wrk -c; default 32 (4 with --quick)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    quick = args.quick
    args.db = args.db or ("sqlite" if quick else "both")
    args.bookings = args.bookings if args.bookings is not None else (200 if quick else 10_000)
    args.days = args.days or (3 if quick else 30)
    args.seconds = args.seconds or (1 if quick else 10)
    args.connections = args.connections or (4 if quick else 32)
    try:
        print(f"wrk: {find_wrk()}", flush=True)
    except WrkMissing as missing:
        print(f"cannot benchmark: {missing}", file=sys.stderr)
        return 2
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    summary, figures = [], {}
    for kind in kinds:
        lines, figures[kind] = run(kind, args)
        summary.extend(lines)
    print("\n".join(["", "== summary", *summary]))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
