"""Several instances proved together: two gunicorn instances, two consumers, one stopped mid-burst.

As the README's Production section runs it, on PostgreSQL + Redis: bookings
arrive through both web instances at once; the consumers (one with periodic
tasks, one ``--no-periodic``) share the Redis queue; one consumer is stopped
with SIGTERM in the middle of the burst and started again. Every booking must
end with exactly one confirmation handed to the provider — counted in the
console provider's log lines of every consumer process, not in our own tables.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from careops.extensions import db
from tests.bookings.factories import Bookable
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.live import LiveServer, server_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (TEST_DATABASE_URL and TEST_REDIS_URL),
        reason="scale-out is a PostgreSQL + Redis deployment (CAREOPS_TEST_DATABASE_URL and "
        "CAREOPS_TEST_REDIS_URL); the SQLite leg runs one instance",
    ),
]

BOOKINGS = 36


@pytest.fixture
def config_overrides():
    return {"CAREOPS_TASK_QUEUE": TEST_REDIS_URL}


class Consumer:
    def __init__(self, env: dict, log_path: Path, *args: str):
        self.env, self.log_path, self.args = env, log_path, args
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "careops", "worker", "-w", "2", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self._log.close()


def confirmations_sent(log_paths) -> Counter:
    """Recipients of the confirmations the console provider sent, from every consumer's log."""
    sent = Counter()
    for path in log_paths:
        text = path.read_text(errors="replace") if path.exists() else ""
        sent.update(re.findall(r"EMAIL to (scale-\d+@example\.com) .{0,3}Your booking", text))
    return sent


def test_two_instances_two_consumers_one_stopped_mid_burst_send_each_confirmation_once(
    app, app_config, client, owner, tmp_path
):
    bookable = Bookable(app, owner, capacity=BOOKINGS)
    env = server_env(app_config, CAREOPS_TASK_QUEUE=TEST_REDIS_URL, CAREOPS_LOG_LEVEL="INFO")
    webs = [LiveServer(env, workers=2, log_path=tmp_path / f"web-{i}.log") for i in range(2)]
    bases = [web.start() for web in webs]
    logs = [tmp_path / "consumer-periodic.log", tmp_path / "consumer-plain.log"]
    periodic = Consumer(env, logs[0])
    plain = Consumer(env, logs[1], "--no-periodic")
    periodic.start()
    plain.start()
    try:
        start = bookable.start("10:00", days_ahead=2)

        def book(i: int):
            body = {
                "service_id": bookable.service_id,
                "start": start,
                "name": f"Scale {i}",
                "email": f"scale-{i}@example.com",
            }
            return requests.post(f"{bases[i % 2]}/api/v1/public/{bookable.slug}/bookings", json=body, timeout=60)

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(book, i) for i in range(BOOKINGS)]
            time.sleep(0.5)
            assert plain.stop(signal.SIGTERM) is not None  # mid-burst: the queue is still filling
            answers = [f.result() for f in futures]
        assert [a.status_code for a in answers] == [201] * BOOKINGS, [a.text for a in answers if a.status_code != 201]
        plain.start()  # back, as systemd would restart it

        expected = {f"scale-{i}@example.com" for i in range(BOOKINGS)}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and set(confirmations_sent(logs)) != expected:
            time.sleep(0.5)
        time.sleep(3)  # anything sent twice would show up by now
        sent = confirmations_sent(logs)
        assert set(sent) == expected, f"missing: {sorted(expected - set(sent))}"
        assert all(count == 1 for count in sent.values()), {k: v for k, v in sent.items() if v != 1}
        with app.app_context():
            statuses = db.session.execute(
                sa.text(
                    "SELECT status, count(*) FROM messages WHERE author = 'automation:booking_confirmation' "
                    "GROUP BY status"
                )
            ).all()
        assert dict(statuses) == {"sent": BOOKINGS}
    finally:
        for consumer in (periodic, plain):
            consumer.stop(signal.SIGTERM)
        for web in webs:
            web.stop()
