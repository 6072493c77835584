"""SQL statements and time per request for the benchmark's endpoints, in process; optionally a pyinstrument profile.

    .venv/bin/python bench/profile_endpoints.py [--db sqlite|postgresql] [--bookings 2000]
                                                [--sql book] [--profile book|list|contacts|conversations|slots]

The two ceilings of ``booking_bench`` (``bench/ceiling_app.py``, on the same
database) and two floors (``/healthz``: the framework and CareOps's request
hooks; ``/auth/me``: plus the bearer-token check) are timed the same way, so
an endpoint's time splits into floor, authentication and its own work.

Builds the benchmark's calendar (``booking_bench.load_calendar``: one resource
of capacity 1,000, 08:00–20:00 daily, bookings over 30 days) in a fresh
database, then, through the test client (no server, no network), for each
endpoint: the SQL statements one request issues (counted with SQLAlchemy's
``before_cursor_execute`` event on the app's engine) and the mean time per
request. ``--sql NAME`` prints one request's statements; ``--profile NAME``
prints pyinstrument's call tree for 50 requests of it. PostgreSQL uses the
``careops_bench`` database (dropped and created) and Redis db 10.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import booking_bench as bench  # noqa: E402


class StatementCounter:
    """Counts the statements sent to the database while active; keeps the last request's text."""

    def __init__(self, engine):
        import sqlalchemy as sa

        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(" ".join(statement.split()))

    def __enter__(self):
        self.statements = []
        return self

    def __exit__(self, *exc):
        return False


def build(kind: str, bookings: int, workdir: Path):
    """A fresh database with the benchmark's workspace and calendar; ``(app, client, endpoints)``."""
    env = prepare(kind, workdir)
    os.environ.update(env)
    from careops import create_app
    from careops.extensions import db

    app = create_app()
    with app.app_context():
        db.create_all()
    c = app.test_client()
    r = c.post(
        "/api/v1/auth/register",
        json={
            "email": "owner@example.com",
            "password": "bench-password-1",
            "full_name": "Owner",
            "workspace_name": "Bench Clinic",
            "timezone": bench.TZ,
        },
    ).get_json()
    staff = {"Authorization": "Bearer " + r["access_token"]}
    slug, workspace_id = r["workspace"]["slug"], r["workspace"]["id"]
    resource = c.get("/api/v1/resources", headers=staff).get_json()[0]
    c.patch(f"/api/v1/resources/{resource['id']}", json={"capacity": bench.CAPACITY}, headers=staff)
    service = c.post(
        "/api/v1/services",
        headers=staff,
        json={
            "name": "Consultation",
            "duration_minutes": 30,
            "resource_ids": [resource["id"]],
            "min_notice_minutes": 0,
            "booking_horizon_days": 400,
        },
    ).get_json()
    c.put(
        "/api/v1/availability",
        headers=staff,
        json={
            "rules": [
                {"weekday": d, "start": "08:00", "end": "20:00"}
                for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            ]
        },
    )
    c.put(
        "/api/v1/integrations/email",
        headers=staff,
        json={"provider": "console", "config": {}, "enabled": True, "priority": 1},
    )
    assert c.post("/api/v1/workspace/activate", headers=staff).status_code == 200
    today = date.today()
    bench.load_calendar(env, workspace_id, service["id"], bookings, today, 30)
    free = [s.isoformat() for s in bench.slot_starts(today + timedelta(days=1), 29)]
    counter = iter(range(10**9))
    frm, to = today, today + timedelta(days=29)

    def book():
        i = next(counter)
        return c.post(
            f"/api/v1/public/{slug}/bookings",
            json={
                "service_id": service["id"],
                "start": free[(i * 7) % len(free)],
                "name": f"Walk-in {i}",
                "email": f"walkin-{i}@example.com",
            },
        )

    # The same two ceilings as booking_bench, through their own test client: the in-process
    # distance between a CareOps endpoint and the least any app could do for it.
    from ceiling_app import app as ceiling
    from ceiling_app import create_schema

    create_schema(env["CAREOPS_DATABASE_URL"])
    raw = ceiling.test_client()
    taken = iter(range(10**9))

    def ceiling_insert():
        start = datetime.fromisoformat(free[next(taken) % len(free)])
        return raw.post(
            "/ceiling/bookings",
            json={
                "resource": "r",
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=30)).isoformat(),
                "name": "x",
            },
        )

    endpoints = {
        "ceiling list": lambda: raw.get("/ceiling/bookings?page=3"),
        "floor healthz": lambda: c.get("/healthz"),
        "floor auth/me": lambda: c.get("/api/v1/auth/me", headers=staff),
        "ceiling insert": ceiling_insert,
        "book": book,
        "list": lambda: c.get(f"/api/v1/bookings?from={frm}&to={to}&page=3&page_size=20", headers=staff),
        "contacts": lambda: c.get("/api/v1/contacts?page=3&page_size=20", headers=staff),
        "conversations": lambda: c.get("/api/v1/conversations?page=3&page_size=20", headers=staff),
        "slots": lambda: c.get(f"/api/v1/public/{slug}/services/{service['id']}/slots?from={frm}&to={to}"),
    }
    return app, endpoints


def prepare(kind: str, workdir: Path) -> dict:
    env = {
        "CAREOPS_SECRET_KEY": "x" * 40,
        "CAREOPS_RATELIMIT_PUBLIC": "100000000/minute",
        "CAREOPS_RATELIMIT_LOGIN": "100000000/minute",
        "CAREOPS_LOG_LEVEL": "WARNING",
        "CAREOPS_TASK_QUEUE": f"sqlite:///{workdir / 'tasks.db'}",
    }
    if kind == "sqlite":
        env["CAREOPS_DATABASE_URL"] = f"sqlite:///{workdir / 'profile.db'}"
    else:
        import redis
        from data import recreate_postgres_database

        recreate_postgres_database(bench.PG_NAME)
        redis.Redis(db=10).flushdb()
        env.update(
            CAREOPS_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{bench.PG_NAME}",
            CAREOPS_REDIS_URL="redis://127.0.0.1:6379/10",
        )
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint")
    parser.add_argument("--sql", help="print one request's statements for this endpoint")
    parser.add_argument("--profile", help="pyinstrument call tree of this endpoint")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app, endpoints = build(args.db, args.bookings, Path(tmp))
        from careops.extensions import db

        with app.app_context():
            counter = StatementCounter(db.engine)
        print(f"{'endpoint':<15} {'statements':>10} {'ms/request':>11}   kinds")
        print(
            "(floor healthz: Flask, the test client and CareOps's request hooks; floor auth/me: plus the token check)"
        )
        for name, call in endpoints.items():
            for _ in range(3):  # warm: caches, compiled statements, pool
                assert call().status_code in (200, 201), (name, call().get_json())
            with counter:
                response = call()
            statements = list(counter.statements)
            assert response.status_code in (200, 201), (name, response.get_json())
            kinds = Counter(s.split()[0].upper() for s in statements)
            started = time.perf_counter()
            for _ in range(args.requests):
                call()
            ms = (time.perf_counter() - started) / args.requests * 1000
            print(f"{name:<15} {len(statements):>10} {ms:>11.1f}   {dict(kinds)}", flush=True)
            if name == args.sql:
                for statement in statements:
                    print("    " + statement[:300])
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(50):
                endpoints[args.profile]()
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
