"""Server time of the public slot list on a busy calendar, measured in process, on SQLite and PostgreSQL.

The calendar of issue #15: one resource of capacity 1,000, one 30-minute
service, open 08:00–20:00 every day, 10,000 confirmed bookings over the next
30 days (core inserts, the rows ``bench/booking_bench.py`` loads). Each request is
``GET /api/v1/public/{slug}/services/{id}/slots`` for those 30 days through the
Flask test client: no network and no load, so the figure is the server's own
time per request (routing, rate-limit and workspace checks, the slot
computation and the JSON).

Three measurements per database, in the same run:

- ``no cache``: the slot cache switched off (``CAREOPS_SLOT_CACHE=False``),
  every request computes;
- ``cold``: cache on, each request preceded by a booking change (the cache
  version is bumped), so each computes and stores;
- ``warm``: cache on, nothing changes between requests.

The cache (:mod:`careops.bookings.slot_cache`) checks its entries against a
version in Redis (db 11 here), or on SQLite without Redis against SQLite's own
change counter: ``--no-redis`` measures SQLite's embedded default, and skips the
cache runs on PostgreSQL, which has no cache without Redis. Medians and p95 in
milliseconds; the machine is shared, so read medians.

    .venv/bin/python bench/slots_bench.py [--db sqlite|postgresql|both] [--requests 50] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from data import analyze, booking_row, contact_row, fresh_database, in_process_app  # noqa: E402

CAPACITY = 1000
TZ = "Europe/Berlin"
OPEN, CLOSE = 8, 20  # every day, 30-minute slots

REDIS_URL = "redis://127.0.0.1:6379/11"


def load_calendar(url: str, workspace_id: str, service_id: str, resource_id: str, count: int, first, days: int) -> None:
    """``count`` confirmed bookings round-robin over the 30-minute slots of ``days`` days, one contact each.

    Core inserts (``executemany``) with the ORM's column defaults: the rows a
    booking writes that the slot list reads, in seconds.
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from careops.bookings.models import Booking, BookingResource
    from careops.contacts.models import Contact
    from careops.db import new_id, utcnow

    zone = ZoneInfo(TZ)
    starts = [
        (datetime(d.year, d.month, d.day, OPEN, tzinfo=zone) + timedelta(minutes=30 * h)).astimezone(UTC)
        for d in (first + timedelta(days=i) for i in range(days))
        for h in range((CLOSE - OPEN) * 2)
    ]
    now = utcnow()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        for batch in range(0, count, 2000):
            contacts, bookings, links = [], [], []
            for i in range(batch, min(batch + 2000, count)):
                contact_id, booking_id = new_id(), new_id()
                start = starts[i % len(starts)]
                contacts.append(
                    contact_row(contact_id, workspace_id, f"Customer {i}", "public", now, f"customer{i}@example.com")
                )
                bookings.append(booking_row(booking_id, i, workspace_id, service_id, contact_id, start, "public", now))
                links.append({"booking_id": booking_id, "resource_id": resource_id})
            conn.execute(sa.insert(Contact), contacts)
            conn.execute(sa.insert(Booking), bookings)
            conn.execute(sa.insert(BookingResource), links)
    analyze(engine)
    engine.dispose()


def make_app(url: str, redis_url: str | None, cache: bool):
    return in_process_app(url, CAREOPS_REDIS_URL=redis_url, CAREOPS_SLOT_CACHE=cache)


def setup_workspace(client) -> dict:
    """The workspace of ``booking_bench.setup_workspace``, through the test client."""
    r = client.post(
        "/api/v1/auth/register",
        json={
            "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
            "password": "bench-password-1",
            "full_name": "Bench Owner",
            "workspace_name": "Bench Clinic",
            "timezone": TZ,
        },
    )
    assert r.status_code == 201, r.get_json()
    auth = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
    slug, workspace_id = r.get_json()["workspace"]["slug"], r.get_json()["workspace"]["id"]
    resource = client.get("/api/v1/resources", headers=auth).get_json()[0]
    assert (
        client.patch(f"/api/v1/resources/{resource['id']}", json={"capacity": CAPACITY}, headers=auth).status_code
        == 200
    )
    service = client.post(
        "/api/v1/services",
        headers=auth,
        json={
            "name": "Consultation",
            "duration_minutes": 30,
            "resource_ids": [resource["id"]],
            "min_notice_minutes": 0,
            "booking_horizon_days": 400,
        },
    ).get_json()
    assert (
        client.put(
            "/api/v1/availability",
            headers=auth,
            json={
                "rules": [
                    {"weekday": d, "start": f"{OPEN:02d}:00", "end": f"{CLOSE:02d}:00"}
                    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                ]
            },
        ).status_code
        == 200
    )
    client.put(
        "/api/v1/integrations/email",
        headers=auth,
        json={"provider": "console", "config": {}, "enabled": True, "priority": 1},
    )
    assert client.post("/api/v1/workspace/activate", headers=auth).status_code == 200
    return {
        "slug": slug,
        "workspace_id": workspace_id,
        "service_id": service["id"],
        "resource_id": resource["id"],
        "auth": auth,
    }


def timings(client, path: str, count: int, before=None) -> list[float]:
    spent = []
    for _ in range(count):
        if before:
            before()
        t0 = time.perf_counter()
        r = client.get(path)
        spent.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return spent


def line(name: str, spent: list[float], slots: int) -> str:
    spent = sorted(spent)
    p95 = spent[min(len(spent) - 1, int(len(spent) * 0.95))]
    return f"  {name:<10} median {statistics.median(spent):7.2f} ms   p95 {p95:7.2f} ms   ({len(spent)} requests, {slots} slots)"


def run(kind: str, args) -> list[str]:
    from careops.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="careops-slots-"))
    url = fresh_database(kind, workdir, "slots")
    redis_url = REDIS_URL if args.redis else None
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    app = make_app(url, redis_url, cache=False)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    ws = setup_workspace(client)
    from careops.db import utcnow

    first = utcnow().date() + timedelta(days=1)
    load_calendar(url, ws["workspace_id"], ws["service_id"], ws["resource_id"], args.bookings, first, args.days)
    last = first + timedelta(days=args.days - 1)
    path = f"/api/v1/public/{ws['slug']}/services/{ws['service_id']}/slots?from={first}&to={last}"
    slots = len(client.get(path).get_json())
    lines = [f"{kind}: {args.bookings} bookings over {args.days} days, slots for {args.days} days"]
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(timings, client, path, args.requests)
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(30)
    lines.append(line("no cache", timings(client, path, args.requests), slots))
    if not redis_url and kind != "sqlite":
        lines.append("  cache runs skipped: no Redis (--no-redis), and PostgreSQL has no cache without it")
        return lines
    cached = make_app(url, redis_url, cache=True)
    cached_client = cached.test_client()

    def change():  # what every booking write does after its commit
        from careops.bookings import slot_cache

        with cached.app_context():
            slot_cache.bump(ws["workspace_id"])

    lines.append(line("cold", timings(cached_client, path, args.requests, before=change), slots))
    timings(cached_client, path, 1)
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(timings, cached_client, path, args.requests)
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(30)
    lines.append(line("warm", timings(cached_client, path, args.requests), slots))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with cached.app_context():
        db.session.remove()
        db.engine.dispose()
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--no-redis", dest="redis", action="store_false", help="no cache runs")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the uncached requests")
    parser.add_argument("--quick", action="store_true", help="smoke mode: 200 bookings, 3 days, 5 requests")
    args = parser.parse_args(argv)
    if args.quick:
        args.bookings, args.days, args.requests = 200, 3, 5
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for kind in kinds:
        print("\n".join(run(kind, args)), flush=True)


if __name__ == "__main__":
    main()
