"""Prometheus metrics: requests per endpoint and status, latency, tasks, business counters.

With several gunicorn workers each process counts its own requests; set
``PROMETHEUS_MULTIPROC_DIR`` to aggregate them (prometheus-client's multiprocess mode).
"""
import os
import time

from flask import g, request
from huey import signals as S
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess

from careops.tasks import huey

REGISTRY = CollectorRegistry()
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    multiprocess.MultiProcessCollector(REGISTRY)
    _registry = None  # metrics go to the multiprocess files
else:
    _registry = REGISTRY

REQUESTS = Counter("careops_http_requests_total", "HTTP requests", ["endpoint", "method", "status"],
                   registry=_registry)
LATENCY = Histogram("careops_http_request_seconds", "HTTP request latency", ["endpoint", "method"],
                    registry=_registry)
TASKS = Counter("careops_tasks_total", "Task executions", ["task", "outcome"], registry=_registry)
BOOKINGS_CREATED = Counter("careops_bookings_created_total", "Bookings created", ["source"], registry=_registry)
MESSAGES = Counter("careops_messages_total", "Messages by final status", ["channel", "status"],
                   registry=_registry)


@huey.signal(S.SIGNAL_COMPLETE, S.SIGNAL_ERROR)
def count_task(signal, task, *args):
    TASKS.labels(task.name, signal).inc()


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
