"""booking_confirmation and the reminders: sent once, in the workspace's time, re-checked when they fire."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from careops import events
from careops.automation import booking_messages
from careops.automation.models import ScheduledAutomation
from careops.db import utcnow
from careops.extensions import db
from careops.tasks import huey
from tests.bookings.factories import Bookable
from tests.messaging.fixtures import configure, messages, outbox_events


@pytest.fixture
def bookable(app, owner, providers):
    """An active workspace with one service; messages go through the recording provider ``alpha``."""
    place = Bookable(app, owner)
    configure(owner, "email", "alpha")
    return place


def book(bookable, start: datetime, email="sam@example.com"):
    response = bookable.staff_book(bookable.owner, start.isoformat(), email=email)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def jobs(workspace_id, **criteria):
    stmt = sa.select(ScheduledAutomation).where(ScheduledAutomation.workspace_id == workspace_id)
    for key, value in criteria.items():
        stmt = stmt.where(getattr(ScheduledAutomation, key) == value)
    db.session.expire_all()
    return list(db.session.scalars(stmt.order_by(ScheduledAutomation.due_at)))


def in_days(days: float) -> datetime:
    # Whole minutes: a booking's start round-trips through the API exactly.
    return (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)


def test_confirmation_with_local_time_manage_link_and_ics(client, bookable, providers):
    start = in_days(3)
    booking = book(bookable, start)
    [confirmation] = messages(bookable.owner.workspace_id, author="automation:booking_confirmation")
    assert confirmation.status == "sent" and confirmation.automation_key == f"booking_confirmation:{booking['id']}"
    [sent] = providers.to("alpha")
    assert sent.to == "sam@example.com" and booking["reference"] in sent.subject
    local = start.astimezone(ZoneInfo("Europe/Paris"))
    assert f"at {local:%H:%M} ({local.tzname()})" in sent.body and str(local.day) in sent.body
    link = [word for word in sent.body.split() if word.startswith("http://careops.test/")][0]
    assert link.startswith("http://careops.test/manage/")  # the page; the JSON path keeps working
    managed = client.get(link.replace("http://careops.test", ""))
    assert managed.status_code == 200, managed.get_data(as_text=True)
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/api/v1/public/bookings/{token}").status_code == 200
    [(filename, content, mime)] = sent.attachments
    assert (filename, mime) == (f"{booking['reference']}.ics", "text/calendar")
    assert b"BEGIN:VCALENDAR" in content and booking["reference"].encode() in content
    assert confirmation.attachments == []  # not kept once sent


def test_confirmation_goes_once_under_duplicate_delivery(bookable, providers):
    book(bookable, in_days(3))
    [event] = outbox_events(bookable.owner.workspace_id, "booking_created")
    events.deliver(event.id)
    from careops.automation.receivers import on_booking_created

    on_booking_created(
        bookable.owner.workspace_id, workspace_id=bookable.owner.workspace_id, booking_id=event.payload["booking_id"]
    )
    db.session.commit()
    assert len(messages(bookable.owner.workspace_id, author="automation:booking_confirmation")) == 1
    assert len(jobs(bookable.owner.workspace_id)) == 2 and len(providers.to("alpha")) == 1


def test_reminders_are_scheduled_on_huey_at_their_time(bookable):
    before = len(huey.scheduled())
    start = in_days(3)
    booking = book(bookable, start)
    reminder, short = jobs(bookable.owner.workspace_id)
    assert (reminder.rule_key, reminder.due_at) == ("booking_reminder", start - timedelta(minutes=1440))
    assert (short.rule_key, short.due_at) == ("booking_reminder_short", start - timedelta(minutes=120))
    assert reminder.automation_key == f"booking_reminder:{booking['id']}:{start.isoformat()}"
    etas = sorted(t.eta for t in huey.scheduled()[before:])
    assert etas == [reminder.due_at.replace(tzinfo=None), short.due_at.replace(tzinfo=None)]


def test_a_reminder_fires_once(bookable, providers):
    start = in_days(3)
    book(bookable, start)
    reminder, _ = jobs(bookable.owner.workspace_id)
    assert booking_messages.run(reminder.id, now=reminder.due_at - timedelta(minutes=5)) == "not due"
    assert booking_messages.run(reminder.id, now=reminder.due_at) == "queued"
    assert booking_messages.run(reminder.id, now=reminder.due_at) == "skipped"
    [sent] = [m for m in providers.to("alpha") if m.subject.startswith("Reminder")]
    assert "Consultation" in sent.subject and "http://careops.test/manage/" in sent.body
    assert len(messages(bookable.owner.workspace_id, author="automation:booking_reminder")) == 1


def test_a_reminder_whose_time_has_passed_is_not_scheduled(bookable):
    book(bookable, utcnow().replace(second=0, microsecond=0) + timedelta(minutes=90))
    assert jobs(bookable.owner.workspace_id) == []
    book(bookable, utcnow().replace(second=0, microsecond=0) + timedelta(hours=5), email="b@example.com")
    assert [j.rule_key for j in jobs(bookable.owner.workspace_id)] == ["booking_reminder_short"]


def test_reschedule_moves_the_reminders(bookable, providers):
    booking = book(bookable, in_days(3))
    old_reminder, old_short = jobs(bookable.owner.workspace_id)
    new_start = in_days(5)
    response = bookable.owner.patch(f"/api/v1/bookings/{booking['id']}", json={"start": new_start.isoformat()})
    assert response.status_code == 200, response.get_json()
    assert {j.status for j in jobs(bookable.owner.workspace_id, occurrence=old_reminder.occurrence)} == {"cancelled"}
    assert [j.due_at for j in jobs(bookable.owner.workspace_id, status="pending")] == [
        new_start - timedelta(minutes=1440),
        new_start - timedelta(minutes=120),
    ]
    # The old reminder's task still fires: nothing is sent.
    assert booking_messages.run(old_reminder.id, now=old_reminder.due_at) == "skipped"
    assert [m.subject for m in providers.to("alpha") if m.subject.startswith("Reminder")] == []


def test_moved_back_revives_the_original_reminders(bookable):
    start = in_days(3)
    booking = book(bookable, start)
    bookable.owner.patch(f"/api/v1/bookings/{booking['id']}", json={"start": in_days(4).isoformat()})
    bookable.owner.patch(f"/api/v1/bookings/{booking['id']}", json={"start": start.isoformat()})
    pending = jobs(bookable.owner.workspace_id, status="pending")
    assert [j.occurrence for j in pending] == [start.isoformat()] * 2


def test_cancelled_booking_gets_nothing_further(bookable, providers):
    booking = book(bookable, in_days(3))
    reminder, short = jobs(bookable.owner.workspace_id)
    response = bookable.owner.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "cancelled"})
    assert response.status_code == 200
    assert {j.status for j in jobs(bookable.owner.workspace_id)} == {"cancelled"}
    # Even if the job had been left pending (its event not yet delivered), it re-checks the booking.
    db.session.execute(sa.update(ScheduledAutomation).values(status="pending"))
    db.session.commit()
    assert booking_messages.run(reminder.id, now=reminder.due_at) == "booking cancelled, moved or not confirmed"
    assert len(providers.to("alpha")) == 1  # the confirmation only


def test_paused_conversation_gets_no_reminder(bookable, providers):
    booking = book(bookable, in_days(3))
    conversation_id = bookable.owner.get(f"/api/v1/contacts/{booking['contact_id']}").get_json()["conversation_id"]
    bookable.owner.post(f"/api/v1/conversations/{conversation_id}/automation", json={"paused": True})
    reminder, _ = jobs(bookable.owner.workspace_id)
    assert booking_messages.run(reminder.id, now=reminder.due_at) == "not sent: automation paused"
    assert messages(bookable.owner.workspace_id, author="automation:booking_reminder") == []


def test_a_booking_waiting_for_confirmation_gets_reminders_once_confirmed(app, owner, providers):
    place = Bookable(app, owner, requires_confirmation=True)
    configure(owner, "email", "alpha")
    booking = book(place, in_days(3))
    assert booking["status"] == "pending"
    assert len(messages(owner.workspace_id, author="automation:booking_confirmation")) == 1
    assert jobs(owner.workspace_id) == []
    owner.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "confirmed"})
    assert [j.rule_key for j in jobs(owner.workspace_id)] == ["booking_reminder", "booking_reminder_short"]


def test_the_sweep_runs_missed_reminders_once(bookable, providers):
    start = in_days(3)
    book(bookable, start)
    reminder, short = jobs(bookable.owner.workspace_id)
    # The worker was down when the first reminder was due; the sweep runs it.
    assert booking_messages.sweep(now=reminder.due_at) == 0  # not overdue yet
    assert booking_messages.sweep(now=reminder.due_at + timedelta(minutes=2)) == 1
    assert booking_messages.sweep(now=reminder.due_at + timedelta(minutes=7)) == 0
    assert len(messages(bookable.owner.workspace_id, author="automation:booking_reminder")) == 1
    # Down through the booking itself: too late, nothing is sent.
    assert booking_messages.sweep(now=start + timedelta(minutes=5)) == 1
    assert messages(bookable.owner.workspace_id, author="automation:booking_reminder_short") == []
    assert jobs(bookable.owner.workspace_id, rule_key="booking_reminder_short")[0].outcome.startswith("too late")


def test_a_reminder_rule_turned_off_sends_nothing(bookable):
    book(bookable, in_days(3))
    bookable.owner.patch("/api/v1/automation/rules/booking_reminder", json={"enabled": False})
    reminder, _ = jobs(bookable.owner.workspace_id)
    assert booking_messages.run(reminder.id, now=reminder.due_at).startswith("not sent")


def test_reminder_offsets_come_from_the_rules(bookable):
    bookable.owner.patch("/api/v1/automation/rules/booking_reminder", json={"offset_minutes": 600})
    start = in_days(3)
    book(bookable, start)
    assert jobs(bookable.owner.workspace_id)[0].due_at == start - timedelta(minutes=600)


def test_format_start_is_in_the_workspace_timezone():
    summer = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert booking_messages.format_start(summer, "Europe/Paris") == "Wednesday 1 July 2026 at 09:00 (CEST)"
    winter = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    assert booking_messages.format_start(winter, "Europe/Paris") == "Monday 5 January 2026 at 09:30 (CET)"
