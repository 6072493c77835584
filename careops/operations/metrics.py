"""Prometheus metrics: requests per endpoint and status, latency, tasks, queue, outbox, business counters.

Two kinds of process count things, and each is scraped where it runs:

- **gunicorn workers** share one multiprocess directory
  (``PROMETHEUS_MULTIPROC_DIR``, created and cleaned by ``careops/gunicorn_conf.py``),
  so ``/metrics`` on any worker answers the sum over all of them and two
  scrapes agree;
- **the task consumer** serves its own ``/metrics`` on
  ``CAREOPS_WORKER_METRICS_PORT`` (tasks run/failed/retried and their
  duration, queue depth, outbox lag, messages sent/failed per provider). It is
  a separate scrape target: consumers may run on other machines than the web,
  where no directory could be shared.
"""

import logging
import os
import threading
import time
from datetime import UTC

from flask import g, request
from huey import signals as S
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily

from careops.tasks import huey

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # A CLI command or a consumer may start before gunicorn created the directory.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    multiprocess.MultiProcessCollector(REGISTRY)
    _registry = None  # metrics go to the multiprocess files
else:
    _registry = REGISTRY

REQUESTS = Counter("careops_http_requests_total", "HTTP requests", ["endpoint", "method", "status"], registry=_registry)
LATENCY = Histogram("careops_http_request_seconds", "HTTP request latency", ["endpoint", "method"], registry=_registry)
TASKS = Counter(
    "careops_tasks_total",
    "Task executions by outcome (complete, error, retrying)",
    ["task", "outcome"],
    registry=_registry,
)
TASK_SECONDS = Histogram("careops_task_seconds", "Task run time", ["task"], registry=_registry)
BOOKINGS_CREATED = Counter("careops_bookings_created_total", "Bookings created", ["source"], registry=_registry)
MESSAGES = Counter("careops_messages_total", "Messages by final status", ["channel", "status"], registry=_registry)
PROVIDER_SENDS = Counter(
    "careops_provider_sends_total",
    "Send attempts per provider and outcome (sent, failed)",
    ["provider", "outcome"],
    registry=_registry,
)

_started: dict[str, float] = {}
_started_lock = threading.Lock()


@huey.signal(S.SIGNAL_EXECUTING)
def start_task_clock(signal, task, *args):
    with _started_lock:
        _started[task.id] = time.perf_counter()


@huey.signal(S.SIGNAL_COMPLETE, S.SIGNAL_ERROR, S.SIGNAL_RETRYING)
def count_task(signal, task, *args):
    TASKS.labels(task.name, signal).inc()
    with _started_lock:
        started = _started.pop(task.id, None)
    if started is not None and signal != S.SIGNAL_RETRYING:
        TASK_SECONDS.labels(task.name).observe(time.perf_counter() - started)


def record_provider_send(provider: str, ok: bool) -> None:
    PROVIDER_SENDS.labels(provider, "sent" if ok else "failed").inc()


class QueueCollector:
    """Read at scrape time in the consumer: the queue's depth and the outbox's oldest undelivered event."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        depth = GaugeMetricFamily("careops_task_queue_depth", "Tasks waiting in the queue")
        lag = GaugeMetricFamily("careops_outbox_lag_seconds", "Age of the oldest undelivered outbox event (0: none)")
        try:
            depth.add_metric([], 0 if huey._immediate else huey.storage.queue_size())
        except Exception:  # noqa: BLE001 - a scrape must answer even with the queue down
            depth.add_metric([], float("nan"))
        try:
            lag.add_metric([], self._outbox_lag())
        except Exception:  # noqa: BLE001
            log.warning("outbox lag could not be read", exc_info=True)
            lag.add_metric([], float("nan"))
        yield depth
        yield lag

    def _outbox_lag(self) -> float:
        import sqlalchemy as sa

        from careops.db import utcnow
        from careops.events import OutboxEvent
        from careops.extensions import db

        with self.app.app_context():
            oldest = db.session.scalar(
                sa.select(sa.func.min(OutboxEvent.created_at)).where(OutboxEvent.delivered_at.is_(None))
            )
            db.session.remove()
        if oldest is None:
            return 0.0
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return max(0.0, (utcnow() - oldest).total_seconds())


def serve_worker_metrics(app) -> int | None:
    """Serve the consumer's metrics on ``CAREOPS_WORKER_METRICS_PORT``; the port, or None when off."""
    # The collector outlives the CLI's app context: keep the app itself, not the current_app proxy.
    app = app._get_current_object() if hasattr(app, "_get_current_object") else app
    port = app.config["CAREOPS_WORKER_METRICS_PORT"]
    if not port:
        return None
    from prometheus_client import start_http_server

    registry = CollectorRegistry()
    if _registry is None:  # the consumer shares a multiprocess directory: read it
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (TASKS, TASK_SECONDS, MESSAGES, PROVIDER_SENDS, BOOKINGS_CREATED):
            registry.register(collector)
    registry.register(QueueCollector(app))
    start_http_server(port, addr=app.config.get("CAREOPS_WORKER_METRICS_ADDR", "127.0.0.1"), registry=registry)
    return port


def init_app(app):
    @app.before_request
    def start_timer():
        g._started = time.perf_counter()

    @app.after_request
    def record(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if hasattr(g, "_started"):
            LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - g._started)
        return response
