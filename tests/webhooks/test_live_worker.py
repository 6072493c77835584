"""End to end with a real Huey consumer: the first attempt fails, the ETA retry ~5 s later succeeds.

The app enqueues into a real queue (a SQLite file, or Redis when
``CAREOPS_TEST_REDIS_URL`` is set); ``flask --app wsgi careops worker`` runs as
a separate process on the same database and queue: it delivers the outbox
event, sends the first attempt and, about 5 seconds later, the scheduled
retry — no worker sleeps in between.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import TEST_REDIS_URL
from tests.live import running_worker
from tests.webhooks.conftest import create_contact, create_endpoint, deliveries

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live


@pytest.fixture
def queue_url(tmp_path):
    return TEST_REDIS_URL or f"sqlite:///{tmp_path / 'tasks.db'}"


@pytest.fixture
def config_overrides(queue_url):
    return {"CAREOPS_TASK_QUEUE": queue_url, "CAREOPS_WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def worker(app, app_config, queue_url, tmp_path):
    log_path = tmp_path / "worker.log"
    with running_worker(app_config, queue_url, log_path, CAREOPS_WEBHOOKS_ALLOW_PRIVATE="true") as process:
        yield process, log_path


def test_the_retry_is_an_eta_task_run_by_the_consumer(owner, receiver, worker):
    process, log_path = worker
    receiver.statuses = [500]
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)

    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and len(receiver.requests) < 2:
        time.sleep(0.1)
    assert process.poll() is None, log_path.read_text()
    assert len(receiver.requests) == 2, f"worker log:\n{log_path.read_text()}"
    assert receiver.ids()[0] == receiver.ids()[1]
    assert receiver.verified(endpoint["secret"], 1)["type"] == "contact.created"
    gap = receiver.requests[1]["at"] - receiver.requests[0]["at"]
    assert 4.5 <= gap < 30, gap
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and deliveries(owner, endpoint["id"])[0]["status"] != "succeeded":
        time.sleep(0.1)
    [delivery] = deliveries(owner, endpoint["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
    print(f"retry arrived {gap:.2f} s after the first attempt")
