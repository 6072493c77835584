"""End to end with a real Huey consumer: booking → pending form and a sent link → the customer fills it.

The app enqueues into a real queue (a SQLite file, or Redis when
``CAREOPS_TEST_REDIS_URL`` is set); ``flask --app wsgi careops worker`` runs as
a separate process on the same database and queue, delivers ``booking_created``,
creates the submission and sends the ``form_request`` message through the
console provider.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from careops.extensions import db
from careops.forms import service
from careops.forms.models import FormSubmission
from tests.forms.conftest import VALID_ANSWERS, form_messages, form_tokens, submissions
from tests.messaging.fixtures import alerts
from tests.messaging.test_live_worker import config_overrides, queue_url, wait_for, worker  # noqa: F401 - fixtures

pytestmark = pytest.mark.live


def test_a_booking_leads_through_the_worker_to_a_form_filled_once(client, clinic, worker):
    process, log_path = worker
    workspace_id = clinic.owner.workspace_id
    clinic.book(client)

    def sent_request():
        sent = form_messages(workspace_id)
        return sent if sent and all(m.status == "sent" for m in sent) else None

    sent = wait_for(sent_request)
    assert process.poll() is None, log_path.read_text()
    assert sent, f"no form link sent; worker log:\n{log_path.read_text()}"
    time.sleep(2)  # anything that would send it twice has had its chance
    [request] = form_messages(workspace_id)
    assert request.provider == "console" and request.to_address == "cara@example.com"
    [row] = submissions(workspace_id)
    assert row.status == "pending"
    assert clinic.owner.get("/api/v1/bookings").get_json()[0]["forms"][0]["status"] == "pending"

    [token] = form_tokens(workspace_id)
    response = client.post(f"/api/v1/public/forms/{token}", json={"data": VALID_ANSWERS})
    assert response.status_code == 201, response.get_json()
    assert submissions(workspace_id)[0].status == "completed"


def test_an_unfilled_form_is_reminded_through_the_worker(client, clinic, worker):
    process, log_path = worker
    workspace_id = clinic.owner.workspace_id
    clinic.book(client)
    assert wait_for(lambda: submissions(workspace_id)), log_path.read_text()
    # Its due time passes (the worker is another process: the row moves, not the clock).
    db.session.execute(sa.update(FormSubmission).values(due_at=FormSubmission.sent_at))
    db.session.commit()
    # The worker's own periodic sweep may get there first (it runs at each minute's
    # start): between the two, the submission is marked once, and only once.
    assert service.sweep_overdue() in (0, 1) and service.sweep_overdue() == 0

    def sent_reminder():
        sent = form_messages(workspace_id, "form_reminder")
        return sent if sent and all(m.status == "sent" for m in sent) else None

    assert wait_for(sent_reminder), log_path.read_text()
    assert len(form_messages(workspace_id, "form_reminder")) == 1
    assert submissions(workspace_id)[0].status == "overdue"
    assert [a.status for a in alerts(workspace_id, "overdue_form")] == ["open"]
    assert process.poll() is None
