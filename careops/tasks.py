"""The Huey instance, built from ``CAREOPS_TASK_QUEUE``, and the app-context task decorators.

``CAREOPS_TASK_QUEUE`` is ``sqlite:///path`` (the embedded default), ``redis://…``
(production; several consumers share it) or ``immediate`` (tests: a task runs
synchronously where it is enqueued). Tasks take ids, never ORM objects, and
each run gets a fresh app context, hence a fresh database session.

Tenant scope (:mod:`careops.scoping`): a task runs in the scope it was
enqueued under — the workspace of the request, task or event receiver that
enqueued it, or :func:`~careops.scoping.unscoped` when a cross-workspace job
did — carried in the task's ``_scope`` keyword and bound by :func:`in_scope`
for the run, the previous scope coming back after (an immediate task runs in
its enqueuer's thread). A task enqueued with no scope runs with none: it
cannot read workspace rows. A task that carries nothing at all was queued
before tenant scoping existed and runs unscoped, with a warning. Periodic tasks are sweeps across every workspace
and run unscoped.
"""

from __future__ import annotations

import logging
import signal
from functools import wraps

import structlog
from huey import Huey, crontab  # noqa: F401 - crontab re-exported for plugins
from huey.storage import RedisStorage, SqliteStorage

from careops import scoping

log = logging.getLogger(__name__)


class CareOpsHuey(Huey):
    """Huey that carries the enqueuing request's id into the task, so the worker's lines join the request's."""

    def enqueue(self, task):
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id and getattr(task, "carries_request_id", False) and "_request_id" not in task.kwargs:
            task.kwargs = {**task.kwargs, "_request_id": request_id}
        if getattr(task, "carries_scope", False) and "_scope" not in task.kwargs:
            scope = scoping.current()
            carried = NO_SCOPE if scope is None else UNSCOPED if scope is scoping.ALL else scope
            task.kwargs = {**task.kwargs, "_scope": carried}
        return super().enqueue(task)


#: How an unscoped enqueuer's scope travels in a task's kwargs (a workspace id travels as itself).
UNSCOPED = "*"
#: An enqueuer with no scope: the task runs with none either (it cannot read workspace rows).
NO_SCOPE = "-"


class QueueFile(SqliteStorage):
    """Huey's SQLite queue with the main database's durability: WAL and ``synchronous=NORMAL``.

    Huey leaves SQLite's default (FULL: an fsync of the log at every enqueue),
    which cost a public booking 2.5 ms of its ~10 ms waiting for the disk. With
    WAL, NORMAL still survives a crash of the process; a power loss may drop the
    last enqueues, which the sweeps re-enqueue (the outbox row and the scheduled
    reminder are in the main database, written in the booking's transaction).
    """

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


# Results are never read back: storing them would only grow Redis.
huey = CareOpsHuey("careops", results=False, immediate=True, utc=True)
_app = None
_periodic_names: set[str] = set()  # module-qualified, as Huey's registry keys them


def configure(app) -> None:
    """Point the shared Huey instance at the app's queue and remember the app for task contexts."""
    global _app
    _app = app
    url = app.config["CAREOPS_TASK_QUEUE"]
    if url == "immediate":
        huey._immediate = True
        huey.storage = huey.get_immediate_storage()
    elif url.startswith(("redis://", "rediss://", "unix://")):
        huey._immediate = False
        huey.storage = RedisStorage(name="careops", url=url)
    elif url.startswith("sqlite:///"):
        huey._immediate = False
        huey.storage = QueueFile(name="careops", filename=url[len("sqlite:///") :])
    else:
        raise ValueError(f"CAREOPS_TASK_QUEUE must be sqlite:///…, redis://… or immediate, not {url!r}")
    _register_plugin_periodic_tasks()


def in_app_context(fn):
    @wraps(fn)
    def run(*args, **kwargs):
        if _app is None:
            raise RuntimeError("careops.tasks.configure(app) has not been called")
        with _app.app_context():
            return fn(*args, **kwargs)

    return run


def with_request_id(fn):
    """Run ``fn`` with the request id it was enqueued under (if any) bound to every log line."""

    @wraps(fn)
    def run(*args, _request_id=None, **kwargs):
        if not _request_id:
            return fn(*args, **kwargs)
        with structlog.contextvars.bound_contextvars(request_id=_request_id):
            return fn(*args, **kwargs)

    return run


def in_scope(fn):
    """Run ``fn`` in the tenant scope it was enqueued under (``_scope``); restore the previous one after."""

    @wraps(fn)
    def run(*args, _scope=None, **kwargs):
        if _scope == NO_SCOPE:
            token = scoping.clear()
        elif _scope:
            token = scoping.bind_unscoped() if _scope == UNSCOPED else scoping.bind_workspace(_scope)
        elif scoping.current() is not None:
            # A direct ``call_local``: it runs in its caller's scope, like any function call.
            return fn(*args, **kwargs)
        else:
            # Nothing carried and no scope around: a task queued by a version before tenant
            # scoping (a reminder scheduled days ahead). Its code filters by the workspace ids
            # it was given (``WorkspaceRepository.criteria`` filters when unscoped), so it runs
            # unscoped rather than failing once the upgrade lands.
            log.warning(
                "task %s carries no tenant scope (queued before the upgrade); running unscoped",
                getattr(fn, "__name__", fn),
            )
            token = scoping.bind_unscoped()
        try:
            return fn(*args, **kwargs)
        finally:
            scoping.reset(token)

    return run


def unscoped_task(fn):
    """Run ``fn`` across every workspace (periodic sweeps); restore the previous scope after."""

    @wraps(fn)
    def run(*args, **kwargs):
        with scoping.unscoped():
            return fn(*args, **kwargs)

    return run


def task(**options):
    """``@task()``: a Huey task that runs ``fn`` inside an app context, under its request's id and scope."""

    def decorator(fn):
        options.setdefault("name", fn.__qualname__)  # Huey prefixes the module itself
        wrapper = huey.task(**options)(in_app_context(in_scope(with_request_id(fn))))
        wrapper.task_class.carries_request_id = True
        wrapper.task_class.carries_scope = True
        return wrapper

    return decorator


def periodic_task(schedule, **options):
    """``@periodic_task(crontab(...))``: runs in an app context, never twice at once."""

    def decorator(fn):
        name = options.setdefault("name", fn.__qualname__)  # Huey prefixes the module itself
        qualified = f"{fn.__module__}.{name}"  # Huey's registry key, unique across modules
        locked = huey.lock_task(qualified)(fn)
        _periodic_names.add(qualified)
        return huey.periodic_task(schedule, **options)(in_app_context(unscoped_task(locked)))

    return decorator


def _register_plugin_periodic_tasks() -> None:
    from careops.plugins import collect, hook

    for spec in collect(hook().careops_periodic_tasks()):
        # Registered by an earlier create_app in this process (Huey refuses a second registration).
        if f"{spec['run'].__module__}.{spec['name']}" in _periodic_names:
            continue
        periodic_task(spec["schedule"], name=spec["name"])(spec["run"])


def consumer(*, workers: int = 2, periodic: bool = True, shutdown_timeout: float | None = 25.0):
    """The Huey consumer of ``flask careops worker``, stopping gracefully on SIGTERM.

    Huey stops at once on SIGTERM and gracefully only on SIGINT; but SIGTERM is
    what ``systemctl stop``, ``docker stop`` and Kubernetes send. Stopped at once,
    a worker thread dies between a provider's "accepted" and the row's "sent",
    and the message goes out again later. Here SIGTERM (like SIGINT) lets running
    tasks finish for up to ``shutdown_timeout`` seconds and takes no new ones; a
    second signal stops at once. Orchestrators should allow a little more than
    ``shutdown_timeout`` before their SIGKILL.
    """
    from huey.consumer import Consumer

    graceful = Consumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        check_worker_health=True,
        shutdown_timeout=shutdown_timeout,
        graceful_signal="TERM",
    )
    # Huey maps only one signal to a graceful stop; SIGINT (Ctrl-C) stays graceful too.
    graceful._signal_actions[signal.SIGINT] = (False, True)
    return graceful


def ping() -> None:
    """Raise unless the queue's storage answers (used by ``/readyz``)."""
    if huey._immediate:
        return
    huey.storage.queue_size()
