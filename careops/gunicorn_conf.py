"""gunicorn settings for CareOps: ``gunicorn -c python:careops.gunicorn_conf wsgi:app``.

What it takes care of, so the operator does not have to:

- **metrics across workers**: a fresh prometheus-client multiprocess directory
  (``PROMETHEUS_MULTIPROC_DIR``; default ``instance/prometheus``) emptied when
  the master starts, and a dead worker's live gauges dropped; every worker's
  ``/metrics`` then answers the same sums;
- **configuration errors** (a missing production secret, a loopback public
  URL…) stop the master with one line instead of workers failing to boot in a loop;
- **logs**: CareOps writes its own access line per request (route template,
  status, duration, request id, workspace and user), so gunicorn's access log
  is off; gunicorn's own lines are JSON when CareOps logs JSON.

Bind address and worker count stay on the command line (``--bind``, ``--workers``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from gunicorn.glogging import Logger

accesslog = None
# A booking or a provider call never takes this long; a stuck worker is recycled.
timeout = int(os.environ.get("CAREOPS_WEB_TIMEOUT", "30"))
# SIGTERM: workers finish the requests they hold for this long, then stop.
graceful_timeout = int(os.environ.get("CAREOPS_WEB_GRACEFUL_TIMEOUT", "20"))
# Recycle workers now and then: a slow leak in any dependency cannot grow forever.
max_requests = int(os.environ.get("CAREOPS_WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10


def _settings():
    """The app's configuration, loaded the way create_app loads it (without building the app)."""
    from flask import Flask

    from careops import config

    probe = Flask("careops", instance_path=os.environ.get("CAREOPS_INSTANCE_PATH") or _default_instance())
    config.load(probe, None)
    return probe


def _default_instance() -> str:
    return str(Path(__file__).resolve().parent.parent / "instance")


def on_starting(server):
    from careops.config import ConfigError

    try:
        app = _settings()
    except ConfigError as error:
        sys.stderr.write(f"careops: {error}\n")
        sys.exit(1)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(Path(app.instance_path) / "prometheus")
    # Counts from a previous run would be added to this one's.
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    if app.config["CAREOPS_LOG_JSON"]:
        os.environ.setdefault("CAREOPS_LOG_JSON", "true")


def child_exit(server, worker):
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


class JsonFormatter(logging.Formatter):
    """gunicorn's own lines (start, worker boot, signals) in the shape of CareOps's JSON lines."""

    def format(self, record):
        return json.dumps(
            {
                "timestamp": datetime.now(UTC).isoformat(),
                "level": record.levelname.lower(),
                "logger": record.name,
                "event": record.getMessage(),
            }
        )


class CareOpsLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        if (
            os.environ.get("CAREOPS_LOG_JSON", "").lower() in ("1", "true", "yes")
            or os.environ.get("CAREOPS_ENV") == "production"
        ):
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())


logger_class = CareOpsLogger
