"""Helpers for booking-engine tests: services, hours, a communication channel, activation, dates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careops.extensions import db

ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def enable_email(app, workspace_id: str) -> None:
    """The row an email integration leaves behind (the messaging domain owns the real flow)."""
    from careops.integrations.models import Integration

    with app.app_context():
        db.session.add(
            Integration(
                workspace_id=workspace_id, key="email", kind="email", provider="console", enabled=True, status="ok"
            )
        )
        db.session.commit()


def first_resource_id(owner) -> str:
    resources = owner.get("/api/v1/resources").get_json()
    return resources[0]["id"]


def make_service(owner, **fields) -> dict:
    body = {"name": "Consultation", "duration_minutes": 60, "min_notice_minutes": 0, **fields}
    response = owner.post("/api/v1/services", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def set_hours(owner, rules=None) -> None:
    rules = rules if rules is not None else [{"weekday": d, "start": "09:00", "end": "17:00"} for d in ALL_WEEK]
    response = owner.put("/api/v1/availability", json={"rules": rules})
    assert response.status_code == 200, response.get_json()


def activate(app, owner) -> None:
    enable_email(app, owner.workspace_id)
    response = owner.post("/api/v1/workspace/activate")
    assert response.status_code == 200, response.get_json()


def slug_of(owner) -> str:
    return owner.get("/api/v1/workspace").get_json()["slug"]


def local_day(tz: str, days_ahead: int) -> date:
    return datetime.now(ZoneInfo(tz)).date() + timedelta(days=days_ahead)


def at(day: date, hhmm: str, tz: str) -> str:
    """RFC 3339 for a wall time of ``day`` in ``tz``."""
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=ZoneInfo(tz)).isoformat()


class Bookable:
    """An active workspace with one service open every day 09:00–17:00."""

    def __init__(self, app, owner, *, capacity: int = 1, **service_fields):
        self.app, self.owner = app, owner
        self.tz = owner.get("/api/v1/workspace").get_json()["timezone"]
        self.resource_id = first_resource_id(owner)
        if capacity != 1:
            assert owner.patch(f"/api/v1/resources/{self.resource_id}", json={"capacity": capacity}).status_code == 200
        self.service = make_service(owner, **service_fields)
        set_hours(owner)
        activate(app, owner)
        self.slug = slug_of(owner)

    @property
    def service_id(self) -> str:
        return self.service["id"]

    def start(self, hhmm: str = "10:00", days_ahead: int = 3) -> str:
        return at(local_day(self.tz, days_ahead), hhmm, self.tz)

    def public_book(self, client, start: str, email: str = "cara@example.com", headers=None, **extra):
        body = {"service_id": self.service_id, "start": start, "name": "Cara Customer", "email": email, **extra}
        return client.post(f"/api/v1/public/{self.slug}/bookings", json=body, headers=headers or {})

    def staff_book(self, actor, start: str, email: str = "sam@example.com", headers=None, **extra):
        body = {
            "service_id": self.service_id,
            "start": start,
            "contact": {"name": "Sam Customer", "email": email},
            **extra,
        }
        return actor.post("/api/v1/bookings", json=body, headers=headers or {})


def outbox(app, name: str) -> list[dict]:
    """Payloads of the outbox events called ``name``, oldest first."""
    import sqlalchemy as sa

    from careops.events import OutboxEvent

    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.created_at)
        ).all()
        return [{**row.payload, "workspace_id": row.workspace_id} for row in rows]


def count_bookings(app) -> int:
    import sqlalchemy as sa

    from careops.bookings.models import Booking

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
