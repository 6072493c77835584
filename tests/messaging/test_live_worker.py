"""End to end with a real Huey consumer: a contact form submission ends with one sent welcome message.

The app under test enqueues into a real queue (a SQLite file, or Redis when
``CAREOPS_TEST_REDIS_URL`` is set); ``flask --app wsgi careops worker`` runs
as a separate process on the same database and queue, delivers the outbox
events, runs the welcome automation and sends the message through the
console provider.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import TEST_REDIS_URL
from tests.live import running_worker, wait_for
from tests.messaging.fixtures import activate, configure, messages, outbox_events, submit_contact

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live


@pytest.fixture
def queue_url(tmp_path):
    return TEST_REDIS_URL or f"sqlite:///{tmp_path / 'tasks.db'}"


@pytest.fixture
def config_overrides(queue_url):
    return {"CAREOPS_TASK_QUEUE": queue_url}


@pytest.fixture
def worker(app, app_config, queue_url, tmp_path):
    log_path = tmp_path / "worker.log"
    with running_worker(app_config, queue_url, log_path) as process:
        yield process, log_path


def test_contact_form_ends_with_one_sent_welcome(client, owner, worker):
    process, log_path = worker
    configure(owner, "email", "console")
    activate(owner.workspace_id)
    response = submit_contact(client, owner)
    assert response.status_code == 201
    workspace_id = owner.workspace_id

    def sent_welcomes():
        welcomes = messages(workspace_id, author="automation:welcome_contact")
        return welcomes if welcomes and all(m.status == "sent" for m in welcomes) else None

    welcomes = wait_for(sent_welcomes)
    assert process.poll() is None, log_path.read_text()
    assert welcomes, f"no sent welcome; worker log:\n{log_path.read_text()}"
    time.sleep(2)  # anything that would send it twice has had its chance (periodic sweeps included)
    [welcome] = messages(workspace_id, author="automation:welcome_contact")
    assert welcome.status == "sent" and welcome.provider == "console" and welcome.to_address == "carla@example.com"

    conversation = owner.get("/api/v1/conversations").get_json()[0]
    detail = owner.get(f"/api/v1/conversations/{conversation['id']}").get_json()
    assert [(m["author"], m["status"]) for m in detail["messages"]] == [
        ("customer", "delivered"),
        ("automation:welcome_contact", "sent"),
    ]
    assert all(e.delivered_at is not None for e in outbox_events(workspace_id, "contact_created"))
    log = log_path.read_text()
    assert "EMAIL to carla@example.com" in log and log.count("EMAIL to carla@example.com") == 1
