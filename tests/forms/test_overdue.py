"""A form left unfilled: reminded once, marked overdue, an alert raised; sweeps are idempotent and locked."""

from datetime import UTC, datetime, timedelta

import time_machine

from careops.forms import service
from careops.forms.tasks import sweep_overdue_forms
from careops.tasks import huey
from tests.bookings.factories import outbox
from tests.conftest import assert_error
from tests.forms.conftest import VALID_ANSWERS, form_messages, form_tokens, submissions
from tests.messaging.fixtures import alerts

DUE = timedelta(hours=24)


def later(delta):
    return time_machine.travel(datetime.now(UTC) + delta, tick=False)


def test_nothing_happens_before_the_form_is_due(clinic, client):
    clinic.book(client)
    with later(DUE - timedelta(minutes=5)):
        assert service.sweep_overdue() == 0
    assert submissions(clinic.owner.workspace_id)[0].status == "pending"
    assert form_messages(clinic.owner.workspace_id, "form_reminder") == []


def test_an_overdue_form_is_reminded_once_marked_and_alerted(app, clinic, client):
    clinic.book(client)
    [row] = submissions(clinic.owner.workspace_id)
    with later(DUE + timedelta(minutes=1)):
        sweep_overdue_forms.call_local()  # the periodic task, as the consumer runs it
        assert service.sweep_overdue() == 0  # a second sweep (or a second consumer) changes nothing
    [row] = submissions(clinic.owner.workspace_id)
    assert row.status == "overdue" and row.reminded_at is not None
    [reminder] = form_messages(clinic.owner.workspace_id, "form_reminder")
    assert reminder.subject == "Reminder: please fill in Intake" and reminder.to_address == "cara@example.com"
    [alert] = alerts(clinic.owner.workspace_id, "overdue_form")
    assert alert.status == "open" and alert.link == f"/api/v1/form-submissions/{row.id}"
    assert alert.entity_type == "form_submission" and alert.entity_id == row.id
    assert [e["submission_id"] for e in outbox(app, "form_overdue")] == [row.id]
    # The alert's link is the submission's API path, which answers.
    assert clinic.owner.get(alert.link).get_json()["status"] == "overdue"
    listed = clinic.owner.get("/api/v1/alerts", query_string={"status": "open"}).get_json()
    assert [a["link"] for a in listed if a["kind"] == "overdue_form"] == [alert.link]
    # Much later, nothing more is sent.
    with later(DUE * 5):
        assert service.sweep_overdue() == 0
    assert len(form_messages(clinic.owner.workspace_id, "form_reminder")) == 1
    # The reminder's own link opens the same form; filling it resolves the alert.
    [_, reminder_token] = [
        *form_tokens(clinic.owner.workspace_id),
        *form_tokens(clinic.owner.workspace_id, "form_reminder"),
    ]
    response = client.post(f"/api/v1/public/forms/{reminder_token}", json={"data": VALID_ANSWERS})
    assert response.status_code == 201, response.get_json()
    assert submissions(clinic.owner.workspace_id)[0].status == "completed"
    [alert] = alerts(clinic.owner.workspace_id, "overdue_form")
    assert alert.status == "resolved"
    [first_token] = form_tokens(clinic.owner.workspace_id)
    assert_error(client.post(f"/api/v1/public/forms/{first_token}", json={"data": VALID_ANSWERS}), 409)


def test_the_reminder_rule_off_still_marks_and_alerts(clinic, client):
    clinic.owner.patch("/api/v1/automation/rules/form_reminder", json={"enabled": False})
    clinic.book(client)
    with later(DUE + timedelta(minutes=1)):
        assert service.sweep_overdue() == 1
    assert submissions(clinic.owner.workspace_id)[0].status == "overdue"
    assert form_messages(clinic.owner.workspace_id, "form_reminder") == []
    assert len(alerts(clinic.owner.workspace_id, "overdue_form")) == 1


def test_completed_and_cancelled_forms_are_not_swept(clinic, client):
    clinic.book(client)
    cancelled = clinic.book(client, hhmm="14:00", email="dora@example.com")
    [token, _] = form_tokens(clinic.owner.workspace_id)
    assert client.post(f"/api/v1/public/forms/{token}", json={"data": VALID_ANSWERS}).status_code == 201
    assert client.post(f"/api/v1/public/bookings/{cancelled['manage_token']}/cancel").status_code == 200
    with later(DUE + timedelta(hours=1)):
        assert service.sweep_overdue() == 0
    assert [s.status for s in submissions(clinic.owner.workspace_id)] == ["completed", "pending"]
    assert alerts(clinic.owner.workspace_id, "overdue_form") == []


def test_cancelling_a_booking_resolves_its_overdue_alert(clinic, client):
    booked = clinic.book(client, days_ahead=5)
    with later(DUE + timedelta(minutes=1)):
        service.sweep_overdue()
    assert alerts(clinic.owner.workspace_id, "overdue_form")[0].status == "open"
    assert client.post(f"/api/v1/public/bookings/{booked['manage_token']}/cancel").status_code == 200
    assert alerts(clinic.owner.workspace_id, "overdue_form")[0].status == "resolved"


def test_the_sweep_is_a_locked_periodic_task(clinic, client):
    import pytest
    from huey.exceptions import TaskLockedException

    from careops import tasks

    name = "careops.forms.tasks.sweep_overdue_forms"
    assert name in tasks._periodic_names
    clinic.book(client)
    with later(DUE + timedelta(minutes=1)):
        with huey.lock_task(name), pytest.raises(TaskLockedException):  # another consumer is sweeping
            sweep_overdue_forms.call_local()
        assert submissions(clinic.owner.workspace_id)[0].status == "pending"
        sweep_overdue_forms.call_local()
    assert submissions(clinic.owner.workspace_id)[0].status == "overdue"
