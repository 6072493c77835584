"""A real consumer stopped mid-send sends no message twice.

A throwaway provider plugin (installed as a distribution on ``sys.path`` and
``PYTHONPATH``, so the worker process loads it from its entry point) posts each
message to a loopback HTTP server that takes :data:`DELAY` seconds to accept
it — the window in which a worker gets stopped. The server records every call
and, like Resend or Postmark, accepts a repeated ``Idempotency-Key`` without
delivering again.

- SIGTERM (``systemctl stop``, ``docker stop``): the consumer lets the send
  finish and records it; the server sees exactly one call.
- SIGKILL: nothing in the worker runs. The claim's lease (2 s here) runs out,
  the sweep re-enqueues the message, a new worker sends it again with the
  same key, and the server delivers it once. The second *call* is the
  documented window (docs/messaging.md) for providers without idempotency keys.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from careops.db import utcnow
from careops.extensions import db
from tests.conftest import TEST_REDIS_URL
from tests.messaging.fixtures import configure
from tests.plugins.conftest import write_distribution

ROOT = Path(__file__).resolve().parents[2]
DELAY = 1.5  # seconds the provider takes to accept a message
LEASE_SECONDS = 2
TRIALS = 3
pytestmark = pytest.mark.live

PLUGIN = """
import json
import urllib.request

import marshmallow as ma

from careops import hookimpl
from careops.messaging.base import CommunicationProvider, ProviderError


class SlowPostConfig(ma.Schema):
    url = ma.fields.String(required=True)


class SlowPostProvider(CommunicationProvider):
    name = "slowpost"
    channels = ("email",)
    config_schema = SlowPostConfig

    def send(self, message):
        body = json.dumps({"to": message.to, "subject": message.subject}).encode()
        request = urllib.request.Request(self.config["url"], data=body, method="POST", headers={
            "Content-Type": "application/json", "Idempotency-Key": message.idempotency_key or ""})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return json.loads(response.read())["id"]
        except OSError as exc:
            raise ProviderError(str(exc)) from exc


@hookimpl
def careops_communication_providers():
    return [SlowPostProvider]
"""


class SlowProvider:
    """The loopback provider: every call, and the messages it delivered (once per key)."""

    def __init__(self):
        self.calls: list[str] = []
        self.delivered: dict[str, str] = {}
        self.lock = threading.Lock()
        self.called = threading.Condition(self.lock)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Idempotency-Key", "")
                with provider.called:
                    provider.calls.append(key)
                    provider.called.notify_all()
                time.sleep(DELAY)  # the worker may be stopped now; the provider accepts regardless
                with provider.lock:
                    provider.delivered.setdefault(key, f"slow-{uuid.uuid4().hex[:8]}")
                    answer = json.dumps({"id": provider.delivered[key]}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the worker that asked is gone

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for_call(self, key: str, timeout: float = 40.0) -> bool:
        with self.called:
            return self.called.wait_for(lambda: key in self.calls, timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    root = tmp_path / "plugin"
    root.mkdir()
    token = uuid.uuid4().hex[:8]
    module = f"careops_slowpost_{token}"
    write_distribution(root, f"careops-slowpost-{token}", "1.0.0", module, PLUGIN)
    monkeypatch.syspath_prepend(str(root))
    yield root
    sys.modules.pop(module, None)


@pytest.fixture
def queue_url(tmp_path):
    return TEST_REDIS_URL or f"sqlite:///{tmp_path / 'tasks.db'}"


@pytest.fixture
def config_overrides(queue_url, plugin_path):
    return {"CAREOPS_TASK_QUEUE": queue_url}


@pytest.fixture
def provider():
    slow = SlowProvider()
    yield slow
    slow.close()


class Workers:
    """Starts ``flask careops worker`` processes on the test's database and queue; stops them all."""

    def __init__(self, app_config, queue_url, plugin_path, tmp_path):
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(plugin_path), str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "CAREOPS_DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
            "CAREOPS_TASK_QUEUE": queue_url,
            "CAREOPS_SECRET_KEY": app_config["SECRET_KEY"],
            "CAREOPS_PUBLIC_URL": app_config["CAREOPS_PUBLIC_URL"],
            "CAREOPS_MESSAGE_LEASE_SECONDS": str(LEASE_SECONDS),
            "CAREOPS_LOG_LEVEL": "INFO",
        }
        if TEST_REDIS_URL:
            self.env["CAREOPS_REDIS_URL"] = TEST_REDIS_URL
        self.tmp_path = tmp_path
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self) -> subprocess.Popen:
        log_path = self.tmp_path / f"worker-{len(self.processes)}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "careops", "worker", "-w", "2", "--no-periodic"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append((process, log_path))
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()}" for _, path in self.processes)

    def stop_all(self):
        for process, _ in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def workers(app, app_config, queue_url, plugin_path, tmp_path):
    started = Workers(app_config, queue_url, plugin_path, tmp_path)
    yield started
    started.stop_all()


@pytest.fixture
def conversation(owner, provider):
    configure(owner, "email", "slowpost", config={"url": provider.url})
    contact = owner.post("/api/v1/contacts", json={"name": "Kim", "email": "kim@example.com"}).get_json()
    return owner.get(f"/api/v1/contacts/{contact['id']}").get_json()["conversation_id"]


def reply(owner, conversation_id: str) -> str:
    response = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "See you at 10."})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def status_of(message_id: str) -> str:
    from careops.inbox.models import Message

    db.session.expire_all()
    status = db.session.get(Message, message_id).status
    db.session.rollback()
    return status


def test_sigterm_lets_the_send_finish_and_nothing_is_sent_twice(owner, conversation, provider, workers):
    rng = random.Random(8)
    for trial in range(TRIALS):
        process = workers.start()
        message_id = reply(owner, conversation)
        assert provider.wait_for_call(message_id), workers.logs()
        time.sleep(rng.uniform(0, DELAY * 0.9))  # somewhere inside the provider's call
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, workers.logs()
        assert status_of(message_id) == "sent", (trial, workers.logs())
        assert provider.calls.count(message_id) == 1, (trial, provider.calls)
    # The sweep, however late, finds nothing left to send.
    with owner.client.application.app_context():
        from careops.inbox import delivery

        assert delivery.sweep(now=utcnow() + timedelta(hours=1)) == 0
    assert len(provider.calls) == TRIALS and len(provider.delivered) == TRIALS


def test_sigkill_mid_send_is_recovered_and_delivered_once(app, queue_url, owner, conversation, provider, workers):
    from careops import tasks
    from careops.inbox import delivery
    from careops.inbox.models import Message

    rng = random.Random(9)
    for trial in range(TRIALS):  # noqa: B007 - the trial number is in the failure messages
        process = workers.start()
        message_id = reply(owner, conversation)
        assert provider.wait_for_call(message_id), workers.logs()
        time.sleep(rng.uniform(0, DELAY * 1.3))  # before, around or after the provider accepts
        process.kill()
        process.wait(timeout=10)
        if status_of(message_id) == "queued":
            # The dead worker's lease runs out in seconds; then the sweep finds the message and its
            # task sends it (run here, in-process, as the next worker would: starting one costs seconds).
            with app.app_context():
                lease = db.session.get(Message, message_id).lease_until
                if lease > utcnow() + timedelta(seconds=0.3):
                    assert delivery.deliver(message_id).status == "skipped"  # still leased: not yet
                db.session.rollback()
            time.sleep(LEASE_SECONDS + 0.5)
            with app.app_context():
                app.config["CAREOPS_TASK_QUEUE"] = "immediate"
                tasks.configure(app)  # the sweep's re-enqueued task runs right here
                try:
                    assert delivery.sweep(now=utcnow() + delivery.SWEEP_AFTER) >= 1
                finally:
                    app.config["CAREOPS_TASK_QUEUE"] = queue_url
                    tasks.configure(app)
            assert status_of(message_id) == "sent", (trial, workers.logs())
        calls = provider.calls.count(message_id)
        assert 1 <= calls <= 2, (trial, provider.calls)
        assert message_id in provider.delivered  # delivered once: a repeated key is not delivered again
        workers.stop_all()
    assert len(provider.delivered) == TRIALS


def test_a_slow_provider_keeps_its_lease(app, owner, conversation, provider, monkeypatch):
    """While a send outlasts the lease, renewals keep other workers from claiming the message."""
    from careops.inbox import delivery
    from careops.inbox.models import Message

    message_id = reply(owner, conversation)  # tasks go to the queue: nobody consumes it here
    app.config["CAREOPS_MESSAGE_LEASE_SECONDS"] = 0.6
    results = {}
    sender = threading.Thread(target=lambda: results.setdefault("first", _deliver(app, message_id)))
    sender.start()
    assert provider.wait_for_call(message_id, timeout=10)
    time.sleep(1.0)  # longer than the lease: only the renewals keep it
    with app.app_context():
        assert delivery.deliver(message_id).status == "skipped"
        lease = db.session.get(Message, message_id).lease_until
        assert lease is not None and lease > utcnow()
    sender.join(timeout=10)
    assert results["first"] == "sent" and provider.calls.count(message_id) == 1


def _deliver(app, message_id):
    """What a consumer's send task does, in a thread of the test (which starts with no tenant scope)."""
    from careops import scoping
    from careops.inbox import delivery

    # The task wrapper would bind the scope the task carried; this thread stands in for it.
    with app.app_context(), scoping.unscoped():
        return delivery.deliver(message_id).status
