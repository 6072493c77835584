"""Booking engine benchmark: slots, public booking, staff list — against the ceiling, on SQLite and PostgreSQL.

For each database it starts CareOps as `make run` does (gunicorn, 2 sync
workers, the schema built by `flask db upgrade`), loads one workspace with
10,000 bookings through the staff API, then measures with concurrent clients:

- slots for a 30-day range (`GET /public/{slug}/services/{id}/slots`),
- public booking creation (`POST /public/{slug}/bookings`, each on a free slot),
- the staff booking list (`GET /bookings?from=&to=`, 20 a page),

and, in the same run with the same gunicorn settings, the ceiling: a minimal
Flask app doing one indexed query on the same database. A last phase fires
concurrent requests at single slots and checks, in the database, that no
resource ever holds more bookings than its capacity.

    .venv/bin/python bench/booking_bench.py [--db sqlite|postgresql|both] [--bookings 10000]

The task consumer is not started: the events the load produces wait in the
queue, so the figures are the web tier's alone.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import BIN, ROOT, gunicorn, load, report  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CLIENTS = 8
CAPACITY = 3
TZ = "Europe/Berlin"


def prepare_database(kind: str, workdir: Path) -> dict:
    """A fresh database and queue for one run; returns the environment CareOps runs with."""
    if kind == "sqlite":
        env = {"CAREOPS_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
               "CAREOPS_TASK_QUEUE": f"sqlite:///{workdir / 'tasks.db'}"}
    else:
        name = "careops_bench"
        engine = sa.create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"),
                                  isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        engine.dispose()
        env = {"CAREOPS_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
               "CAREOPS_TASK_QUEUE": "redis://127.0.0.1:6379/9",
               "CAREOPS_REDIS_URL": "redis://127.0.0.1:6379/10"}
        import redis

        for db_number in (9, 10):
            redis.Redis(db=db_number).flushdb()
    env.update({"CAREOPS_SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
                "CAREOPS_RATELIMIT_PUBLIC": "1000000/minute", "CAREOPS_RATELIMIT_LOGIN": "1000000/minute",
                "CAREOPS_LOG_LEVEL": "WARNING"})
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env={**os.environ, **env},
                   check=True, capture_output=True)
    return env


def setup_workspace(base: str) -> dict:
    """An active workspace: one resource of capacity 3, one 30-minute service, weekday hours."""
    s = requests.Session()
    r = s.post(f"{base}/api/v1/auth/register", json={
        "email": f"bench-{uuid.uuid4().hex[:8]}@example.com", "password": "bench-password-1",
        "full_name": "Bench Owner", "workspace_name": "Bench Clinic", "timezone": TZ})
    r.raise_for_status()
    s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    slug = r.json()["workspace"]["slug"]
    resource = s.get(f"{base}/api/v1/resources").json()[0]
    s.patch(f"{base}/api/v1/resources/{resource['id']}", json={"capacity": CAPACITY}).raise_for_status()
    service = s.post(f"{base}/api/v1/services", json={
        "name": "Consultation", "duration_minutes": 30, "resource_ids": [resource["id"]],
        "min_notice_minutes": 0, "booking_horizon_days": 400}).json()
    s.put(f"{base}/api/v1/availability", json={"rules": [
        {"weekday": d, "start": "08:00", "end": "20:00"} for d in ("mon", "tue", "wed", "thu", "fri")]}
          ).raise_for_status()
    s.put(f"{base}/api/v1/integrations/email", json={"provider": "console", "config": {}, "enabled": True,
                                                     "priority": 1}).raise_for_status()
    s.post(f"{base}/api/v1/workspace/activate").raise_for_status()
    return {"session": s, "slug": slug, "service_id": service["id"], "resource_id": resource["id"],
            "token": s.headers["Authorization"]}


def weekday_slots(first: date, days: int):
    """Every 30-minute start of 08:00–20:00 on weekdays, as RFC 3339 in the workspace's zone."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(TZ)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for half_hour in range(24):
            start = datetime(day.year, day.month, day.day, 8, 0, tzinfo=zone) + timedelta(minutes=30 * half_hour)
            yield start.isoformat()


def load_bookings(base: str, ws: dict, count: int) -> None:
    """``count`` bookings through the staff API, filling past and near-future weekdays."""
    starts = []
    for start in weekday_slots(date.today() - timedelta(days=200), 230):
        starts.extend([start] * CAPACITY)
        if len(starts) >= count:
            break
    starts = starts[:count]
    headers = {"Authorization": ws["token"]}

    def book(i):
        r = requests.post(f"{base}/api/v1/bookings", headers=headers, json={
            "service_id": ws["service_id"], "start": starts[i],
            "contact": {"name": f"Customer {i}", "email": f"c{i}@example.com"}})
        return r.status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        codes = list(pool.map(book, range(len(starts))))
    created = codes.count(201)
    print(f"  loaded {created} bookings ({len(codes) - created} refused: {set(codes) - {201}})", flush=True)


def run(kind: str, bookings: int, requests_each: int) -> list[str]:
    lines = [f"== {kind}"]
    print(lines[0], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = prepare_database(kind, Path(tmp))
        with gunicorn("wsgi:app", env) as base:
            ws = setup_workspace(base)
            load_bookings(base, ws, bookings)
            analyze(env)
            slug, service_id = ws["slug"], ws["service_id"]
            today = date.today()
            slots_url = (f"{base}/api/v1/public/{slug}/services/{service_id}/slots"
                         f"?from={today}&to={today + timedelta(days=29)}")
            lines.append(report("slots, 30 days", load(
                lambda s, i: s.get(slots_url).status_code, clients=CLIENTS, requests_total=requests_each)))

            free = list(weekday_slots(today + timedelta(days=60), 300))

            def public_book(s, i):
                return s.post(f"{base}/api/v1/public/{slug}/bookings", json={
                    "service_id": service_id, "start": free[i], "name": f"Walk-in {i}",
                    "email": f"walkin{i}@example.com"}).status_code

            creation = load(public_book, clients=CLIENTS, requests_total=requests_each)

            frm, to = today - timedelta(days=30), today + timedelta(days=30)

            def staff_list(s, i):
                return s.get(f"{base}/api/v1/bookings?from={frm}&to={to}&page={1 + i % 20}&page_size=20",
                             headers={"Authorization": ws["token"]}).status_code

            listing = load(staff_list, clients=CLIENTS, requests_total=requests_each)
            contention = contend(base, ws, free[-40:])
            ids = ",".join(sa_ids(env))
        with gunicorn("bench.ceiling_app:app", {**env, "CEILING_IDS": ids}) as base:
            ceiling = load(lambda s, i: s.get(f"{base}/ceiling/{i}").status_code, clients=CLIENTS,
                           requests_total=requests_each * 2)
        lines.append(report("public booking creation", creation, ceiling))
        lines.append(report("staff booking list", listing, ceiling))
        lines.append(report("ceiling (one indexed query)", ceiling))
        lines.append(contention)
        lines.append(check_capacity(env))
        print(lines[-2], flush=True)
        print(lines[-1], flush=True)
    return lines


def contend(base: str, ws: dict, starts: list[str]) -> str:
    """Ten clients at once on each of ``starts``: at most the capacity may win each."""
    winners = {}
    for start in starts:
        def attempt(i, start=start):
            return requests.post(f"{base}/api/v1/public/{ws['slug']}/bookings", json={
                "service_id": ws["service_id"], "start": start, "name": f"Racer {i}",
                "email": f"racer-{uuid.uuid4().hex[:10]}@example.com"}).status_code

        with ThreadPoolExecutor(10) as pool:
            codes = list(pool.map(attempt, range(10)))
        winners[start] = codes.count(201)
    over = {s: n for s, n in winners.items() if n > CAPACITY}
    return (f"contention: {len(starts)} slots x 10 concurrent clients, winners per slot "
            f"{sorted(set(winners.values()))} (capacity {CAPACITY}); over capacity: {over or 'none'}")


def _engine(env):
    from careops.config import database_url

    return sa.create_engine(database_url(env["CAREOPS_DATABASE_URL"]))


def analyze(env) -> None:
    """Fresh planner statistics after the bulk load, as autovacuum would soon give a real deployment."""
    if "postgresql" not in env["CAREOPS_DATABASE_URL"]:
        return
    engine = _engine(env)
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
    engine.dispose()


def sa_ids(env) -> list[str]:
    engine = _engine(env)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM bookings LIMIT 1000"))]
    engine.dispose()
    return ids


def check_capacity(env) -> str:
    """The largest number of holding bookings any resource has at one instant, from the database."""
    engine = _engine(env)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT br.resource_id, b.occupied_start, b.occupied_end FROM bookings b
            JOIN booking_resources br ON br.booking_id = b.id
            WHERE b.status IN ('pending', 'confirmed')""")).all()
        capacities = dict(conn.execute(sa.text("SELECT id, capacity FROM resources")).all())
    engine.dispose()
    edges: dict[str, list] = {}
    for resource_id, start, end in rows:
        start, end = _aware(start), _aware(end)
        edges.setdefault(resource_id, []).extend([(start, 1), (end, -1)])
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
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def main():
    global CLIENTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400, help="requests per measured endpoint")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients (gunicorn has 2 workers)")
    args = parser.parse_args()
    CLIENTS = args.clients
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    summary = []
    for kind in kinds:
        summary.extend(run(kind, args.bookings, args.requests))
    print("\n".join(["", "== summary", *summary]))


if __name__ == "__main__":
    main()
