"""No double booking under real concurrency: many requests at once against 4 gunicorn workers.

Runs on the test session's database: SQLite by default, PostgreSQL when
``CAREOPS_TEST_DATABASE_URL`` is set (``BEGIN IMMEDIATE`` vs advisory locks).
"""

from __future__ import annotations

import threading

import pytest
import requests
import sqlalchemy as sa

from careops.bookings.models import HOLDING, Booking
from careops.extensions import db
from tests.bookings.factories import ALL_WEEK, at, enable_email, local_day
from tests.conftest import PASSWORD, unique
from tests.live import start_server  # noqa: F401 - fixture

pytestmark = pytest.mark.live


class LiveWorkspace:
    """An active workspace built through the live server's API."""

    def __init__(self, app, base: str, *, capacity: int, **service_fields):
        self.base = base
        http = requests.Session()
        registered = http.post(
            f"{base}/api/v1/auth/register",
            json={
                "email": f"{unique('live')}@example.com",
                "password": PASSWORD,
                "full_name": "Live Owner",
                "workspace_name": unique("Live "),
                "timezone": "Europe/Paris",
            },
        )
        assert registered.status_code == 201, registered.text
        self.headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        self.slug = registered.json()["workspace"]["slug"]
        self.workspace_id = registered.json()["workspace"]["id"]
        api = f"{base}/api/v1"
        resource_id = http.get(f"{api}/resources", headers=self.headers).json()[0]["id"]
        assert (
            http.patch(f"{api}/resources/{resource_id}", json={"capacity": capacity}, headers=self.headers).status_code
            == 200
        )
        service = http.post(
            f"{api}/services",
            headers=self.headers,
            json={"name": "Class", "duration_minutes": 60, "min_notice_minutes": 0, **service_fields},
        )
        assert service.status_code == 201, service.text
        self.service_id = service.json()["id"]
        hours = http.put(
            f"{api}/availability",
            headers=self.headers,
            json={"rules": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in ALL_WEEK]},
        )
        assert hours.status_code == 200, hours.text
        enable_email(app, self.workspace_id)
        assert http.post(f"{api}/workspace/activate", headers=self.headers).status_code == 200
        self.day = local_day("Europe/Paris", 4)

    def start(self, hhmm: str) -> str:
        return at(self.day, hhmm, "Europe/Paris")

    def book(self, http: requests.Session, start: str, email: str, key: str | None = None) -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return http.post(
            f"{self.base}/api/v1/public/{self.slug}/bookings",
            headers=headers,
            timeout=120,
            json={"service_id": self.service_id, "start": start, "name": "Racer", "email": email},
        )


def fire(n: int, request) -> list[requests.Response]:
    """``request(i, session)`` from ``n`` threads released at the same instant."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        with requests.Session() as http:
            barrier.wait()
            try:
                results[i] = request(i, http)
            except Exception as exc:  # noqa: BLE001 - reported by the assertions below
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return results


def holding(app, workspace_id: str) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            sa.select(Booking.occupied_start, Booking.occupied_end).where(
                Booking.workspace_id == workspace_id, Booking.status.in_(HOLDING)
            )
        ).all()


def peak(intervals) -> int:
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    held = top = 0
    for _, delta in edges:
        held += delta
        top = max(top, held)
    return top


@pytest.mark.parametrize("capacity", [1, 3])
def test_one_slot_many_customers(app, start_server, capacity):
    base = start_server()
    ws = LiveWorkspace(app, base, capacity=capacity)
    start = ws.start("10:00")
    results = fire(24, lambda i, http: ws.book(http, start, f"racer{i}@example.com"))
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == [201] * capacity + [409] * (24 - capacity), statuses
    assert all(r.json()["error_code"] == "SLOT_UNAVAILABLE" for r in results if r.status_code == 409)
    assert len(holding(app, ws.workspace_id)) == capacity
    slots = requests.get(
        f"{base}/api/v1/public/{ws.slug}/services/{ws.service_id}/slots?from={ws.day}&to={ws.day}"
    ).json()
    assert start not in [s["start"] for s in slots]


def test_overlapping_starts_never_exceed_capacity(app, start_server):
    """Customers race for 10:00, 10:30 and 11:00 (one hour, 15-minute buffers): no instant holds more than 2."""
    base = start_server()
    ws = LiveWorkspace(app, base, capacity=2, slot_interval_minutes=30, buffer_after_minutes=15)
    starts = [ws.start(h) for h in ("10:00", "10:30", "11:00")]
    results = fire(30, lambda i, http: ws.book(http, starts[i % 3], f"overlap{i}@example.com"))
    codes = [getattr(r, "status_code", repr(r)) for r in results]
    assert set(codes) <= {201, 409}, codes
    booked = holding(app, ws.workspace_id)
    assert len(booked) == codes.count(201) >= 2
    assert peak(booked) <= 2
    # and the engine did not refuse what it could have taken: no offered slot is left among the three
    slots = requests.get(
        f"{base}/api/v1/public/{ws.slug}/services/{ws.service_id}/slots?from={ws.day}&to={ws.day}"
    ).json()
    assert not set(starts) & {s["start"] for s in slots}


def test_concurrent_duplicates_with_one_key(app, start_server):
    base = start_server()
    ws = LiveWorkspace(app, base, capacity=3)
    results = fire(12, lambda i, http: ws.book(http, ws.start("14:00"), "same@example.com", key="one-key"))
    assert [getattr(r, "status_code", repr(r)) for r in results] == [201] * 12
    assert len({r.text for r in results}) == 1
    assert len(holding(app, ws.workspace_id)) == 1


def test_live_server_serves_the_schema(app, start_server):
    base = start_server(workers=1)
    assert requests.get(f"{base}/readyz", timeout=10).status_code == 200
