"""GET /dashboard: API.md's shape, counted in the workspace's day, by permission, in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from careops.alerts.service import raise_alert
from careops.bookings.models import Booking
from careops.bookings.service import new_reference
from careops.dashboard import service
from careops.extensions import db
from tests.bookings.factories import make_service
from tests.conftest import assert_error
from tests.messaging.fixtures import activate, configure, submit_contact

TZ = "America/Los_Angeles"
SECTIONS = {"generated_at", "bookings", "inbox", "forms", "inventory", "alerts", "today"}


@pytest.fixture
def la_owner(register):
    return register(timezone=TZ)


def contact_id(owner, email="dana@example.com") -> str:
    response = owner.post("/api/v1/contacts", json={"name": "Dana", "email": email})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def add_booking(owner, service_id, contact, start: datetime, status: str) -> str:
    booking = Booking(
        workspace_id=owner.workspace_id,
        reference=new_reference(),
        service_id=service_id,
        contact_id=contact,
        start=start,
        end=start + timedelta(hours=1),
        occupied_start=start,
        occupied_end=start + timedelta(hours=1),
        status=status,
        source="staff",
    )
    db.session.add(booking)
    db.session.commit()
    return booking.id


@pytest.fixture
def day(la_owner):
    """Bookings around 2026-03-09 23:00 in Los Angeles (07:00 UTC on the 10th): ``now`` and ids."""
    tz = ZoneInfo(TZ)
    now = datetime(2026, 3, 9, 23, 0, tzinfo=tz).astimezone(UTC)
    service_id, contact = make_service(la_owner)["id"], contact_id(la_owner)
    local = lambda d, h, m=0: datetime(2026, 3, d, h, m, tzinfo=tz)  # noqa: E731
    ids = {
        "early": add_booking(la_owner, service_id, contact, local(9, 0, 30), "completed"),
        "morning": add_booking(la_owner, service_id, contact, local(9, 9), "no_show"),
        "cancelled": add_booking(la_owner, service_id, contact, local(9, 10), "cancelled"),
        "late": add_booking(la_owner, service_id, contact, local(9, 23, 30), "pending"),
        "yesterday": add_booking(la_owner, service_id, contact, local(8, 23, 30), "completed"),
        "tomorrow": add_booking(la_owner, service_id, contact, local(10, 9), "confirmed"),
        "next_week": add_booking(la_owner, service_id, contact, local(16, 22), "confirmed"),
        "too_far": add_booking(la_owner, service_id, contact, local(17, 9), "pending"),
    }
    return now, ids


def test_today_is_the_workspace_day(la_owner, day):
    now, ids = day
    data = service.overview(la_owner.workspace_id, now=now)
    assert data["bookings"] == {
        "today": 3,
        "upcoming_7d": 3,
        "pending_confirmation": 2,
        "no_show_today": 1,
        "completed_today": 1,
    }
    assert [b["id"] for b in data["today"]] == [ids["early"], ids["morning"], ids["late"]]  # by start, not cancelled
    assert data["today"][0]["start"] == "2026-03-09T00:30:00-07:00"
    assert data["generated_at"].utcoffset() == timedelta(hours=-7)
    # An hour later it is the 10th in Los Angeles: tomorrow's booking is today's.
    later = service.overview(la_owner.workspace_id, now=now + timedelta(hours=1, minutes=1))
    assert [b["id"] for b in later["today"]] == [ids["tomorrow"]]


def test_the_endpoint_answers_api_md_shape(la_owner, day):
    response = la_owner.get("/api/v1/dashboard")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == SECTIONS
    assert set(body["bookings"]) == {"today", "upcoming_7d", "pending_confirmation", "no_show_today", "completed_today"}
    assert set(body["inbox"]) == {"new_inquiries_24h", "unanswered", "open"}
    assert set(body["forms"]) == {"pending", "overdue", "completed_7d"}
    assert set(body["inventory"]) == {"low", "out"}
    assert set(body["alerts"]) == {"open", "critical"}
    assert body["bookings"]["pending_confirmation"] == 2  # both pending bookings are long past or far off
    assert body["generated_at"].endswith(("-08:00", "-07:00"))


def test_inbox_and_alerts(client, owner, other_owner):
    configure(owner, "email", "console")
    activate(owner.workspace_id)
    submit_contact(client, owner)
    submit_contact(client, owner, email="eve@example.com", message="And me")
    raise_alert(
        owner.workspace_id, kind="out_of_stock", severity="critical", title="Out", entity_type="x", entity_id="1"
    )
    raise_alert(owner.workspace_id, kind="unconfirmed_booking", title="Waiting", entity_type="y", entity_id="2")
    db.session.commit()
    body = owner.get("/api/v1/dashboard").get_json()
    assert body["inbox"] == {"new_inquiries_24h": 2, "unanswered": 2, "open": 2}
    assert body["alerts"] == {"open": 2, "critical": 1}
    # Counted in the owner's workspace only (the inbox counts once read every workspace's on SQLite).
    other = other_owner.get("/api/v1/dashboard").get_json()
    assert other["inbox"] == {"new_inquiries_24h": 0, "unanswered": 0, "open": 0}
    assert other["alerts"] == {"open": 0, "critical": 0}
    later = service.overview(owner.workspace_id, now=datetime.now(UTC) + timedelta(hours=25))
    assert later["inbox"]["new_inquiries_24h"] == 0 and later["inbox"]["unanswered"] == 2


def test_inventory_counts(owner):
    models = pytest.importorskip("careops.inventory.models")
    for name, quantity, threshold in (("gloves", 0, 5), ("masks", 3, 5), ("gowns", 5, 5), ("caps", 9, 5)):
        db.session.add(
            models.InventoryItem(
                workspace_id=owner.workspace_id,
                name=name,
                unit="box",
                quantity=Decimal(quantity),
                low_stock_threshold=Decimal(threshold),
            )
        )
    db.session.commit()
    assert owner.get("/api/v1/dashboard").get_json()["inventory"] == {"low": 2, "out": 1}


def test_form_counts(owner, la_owner, day):
    models = pytest.importorskip("careops.forms.models")
    now, ids = day
    template = models.FormTemplate(workspace_id=la_owner.workspace_id, name="Intake", fields=[])
    db.session.add(template)
    db.session.flush()
    booking = db.session.get(Booking, ids["tomorrow"])
    real_now = datetime.now(UTC)
    for status, completed_days_ago in (
        ("pending", None),
        ("overdue", None),
        ("overdue", None),
        ("completed", 2),
        ("completed", 9),
    ):
        db.session.add(
            models.FormSubmission(
                workspace_id=la_owner.workspace_id,
                template_id=template.id,
                booking_id=booking.id,
                contact_id=booking.contact_id,
                name="Intake",
                fields=[],
                template_version=1,
                status=status,
                sent_at=real_now,
                due_at=real_now,
                completed_at=None if completed_days_ago is None else real_now - timedelta(days=completed_days_ago),
            )
        )
        template = models.FormTemplate(workspace_id=la_owner.workspace_id, name="Intake", fields=[])
        db.session.add(template)
        db.session.flush()
    db.session.commit()
    assert la_owner.get("/api/v1/dashboard").get_json()["forms"] == {"pending": 1, "overdue": 2, "completed_7d": 1}
    assert owner.get("/api/v1/dashboard").get_json()["forms"] == {"pending": 0, "overdue": 0, "completed_7d": 0}


def test_staff_see_their_sections_only(la_owner, make_staff, day):
    raise_alert(
        la_owner.workspace_id,
        kind="unconfirmed_booking",
        title="Waiting",
        entity_type="booking",
        entity_id=day[1]["late"],
    )
    db.session.commit()
    inbox_staff = make_staff(la_owner, inbox=True)
    body = inbox_staff.get("/api/v1/dashboard").get_json()
    assert set(body) == SECTIONS
    assert body["bookings"] is None and body["today"] == [] and body["forms"] is None and body["inventory"] is None
    assert body["inbox"] is not None
    assert body["alerts"]["open"] == 0  # the booking alert is not the inbox's (the failed invitation is the owner's)
    bookings_staff = make_staff(la_owner, bookings=True)
    body = bookings_staff.get("/api/v1/dashboard").get_json()
    assert body["bookings"] is not None and body["inbox"] is None and body["alerts"]["open"] == 1


def test_other_workspaces_count_nothing_of_mine(la_owner, other_owner, day):
    body = other_owner.get("/api/v1/dashboard").get_json()
    assert body["bookings"] == {
        "today": 0,
        "upcoming_7d": 0,
        "pending_confirmation": 0,
        "no_show_today": 0,
        "completed_today": 0,
    }
    assert body["today"] == []


def test_login_required(client):
    assert_error(client.get("/api/v1/dashboard"), 401)


def test_a_fixed_number_of_queries_however_many_rows(la_owner, day):
    service_id = db.session.scalar(sa.select(Booking.service_id).limit(1))
    contact = db.session.scalar(sa.select(Booking.contact_id).limit(1))
    noon = datetime.now(ZoneInfo(TZ)).replace(hour=12, minute=0, second=0, microsecond=0)  # always today
    add_booking(la_owner, service_id, contact, noon, "confirmed")
    statements = []

    def count(*_args):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        la_owner.get("/api/v1/dashboard")
        first = len(statements)
        for minute in range(30):
            add_booking(la_owner, service_id, contact, noon + timedelta(minutes=minute), "confirmed")
        statements.clear()
        body = la_owner.get("/api/v1/dashboard").get_json()
        assert len(statements) == first <= 14
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    # Each listed booking is what GET /bookings/{id} answers.
    listed = body["today"][0]
    assert la_owner.get(f"/api/v1/bookings/{listed['id']}").get_json() == listed
