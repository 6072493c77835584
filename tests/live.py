"""A real gunicorn on a free loopback port, for tests that need several server processes.

Use the ``start_server`` fixture (import it into the test module, or into a
``conftest.py``)::

    from tests.live import start_server  # noqa: F401 - fixture

    @pytest.mark.live
    def test_race(start_server):
        base_url = start_server()             # 4 workers on the test database
        requests.get(f"{base_url}/healthz")

The server shares the test session's database (the SQLite file or
``CAREOPS_TEST_DATABASE_URL``): the fixture depends on ``app``, which has built
the schema with ``create_all`` and emptied every table, so nothing runs
migrations. Tasks run in-process (``CAREOPS_TASK_QUEUE=immediate``) unless the
``env`` given says otherwise. Every server started is stopped at teardown.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, env: dict, workers: int = 4, log_path: Path | None = None, extra_args: tuple = ()):
        self.extra_args = tuple(extra_args)  # e.g. ("-c", "python:careops.gunicorn_conf")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.workers = workers
        self.log_path = log_path or Path(os.devnull)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> str:
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
                *self.extra_args,
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # its own process group: teardown stops master and workers together
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; log: {self.log_path}")
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self.base_url
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout}s; log: {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass
        finally:
            self._log.close()


def server_env(app_config: dict, **overrides) -> dict:
    """The environment that points a server at the test session's database, in immediate task mode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREOPS_")}
    env.update(
        {
            "CAREOPS_DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
            "CAREOPS_TASK_QUEUE": "immediate",
            "CAREOPS_SECRET_KEY": app_config["SECRET_KEY"],
            "CAREOPS_PUBLIC_URL": app_config.get("CAREOPS_PUBLIC_URL", "http://careops.test"),
            # Each worker counts on its own; the tests hammer one address on purpose.
            "CAREOPS_RATELIMIT_PUBLIC": "100000/minute",
            "CAREOPS_RATELIMIT_LOGIN": "100000/minute",
            "CAREOPS_LOG_LEVEL": "WARNING",
        }
    )
    if app_config.get("CAREOPS_REDIS_URL"):
        env["CAREOPS_REDIS_URL"] = app_config["CAREOPS_REDIS_URL"]
    env.update({k: str(v) for k, v in overrides.items()})
    return env


@pytest.fixture
def start_server(app, app_config, tmp_path):
    """``start_server(env=None, workers=4)`` → base URL of a running gunicorn; stopped at teardown."""
    servers: list[LiveServer] = []

    def start(env: dict | None = None, workers: int = 4) -> str:
        server = LiveServer(
            env or server_env(app_config), workers=workers, log_path=tmp_path / f"gunicorn-{len(servers)}.log"
        )
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@contextmanager
def running_worker(app_config: dict, queue_url: str, log_path: Path, **extra_env):
    """A real ``flask careops worker`` on the test database and ``queue_url``, stopped (SIGTERM) on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREOPS_")}
    env.update(
        {
            "CAREOPS_DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
            "CAREOPS_TASK_QUEUE": queue_url,
            "CAREOPS_SECRET_KEY": app_config["SECRET_KEY"],
            "CAREOPS_PUBLIC_URL": app_config["CAREOPS_PUBLIC_URL"],
            "CAREOPS_LOG_LEVEL": "INFO",
        }
    )
    if app_config.get("CAREOPS_REDIS_URL"):
        env["CAREOPS_REDIS_URL"] = app_config["CAREOPS_REDIS_URL"]
    env.update({k: str(v) for k, v in extra_env.items()})
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "careops", "worker", "-w", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(predicate, timeout: float = 30.0):
    """The first truthy answer of ``predicate`` within ``timeout`` seconds, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    return None
