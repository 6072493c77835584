"""Who is writing: the request's user, a customer on a public endpoint, a worker task, or a plugin.

Precedence: an explicit :func:`acting_as` (tasks set it through Huey's
pre-execute hook; plugins may use it around their own writes), then the
request (its authenticated user; a plugin's blueprint; a public endpoint or
page = a customer), else the system.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context, request

_explicit: ContextVar[dict | None] = ContextVar("careops_audit_actor", default=None)

PLUGIN_PREFIX = "/api/v1/plugins/"
#: Task id → the context token to restore when it ends (not kept on the task: tasks are pickled).
_tokens: dict = {}


@contextmanager
def acting_as(type_: str, id_: str | None = None, email: str | None = None):
    """Attribute the writes inside the block to this actor (``plugin``, ``system``, …)."""
    token = _explicit.set({"type": type_, "id": id_, "email": email})
    try:
        yield
    finally:
        _explicit.reset(token)


def current_actor() -> dict:
    explicit = _explicit.get()
    if explicit is not None:
        return explicit
    if not has_request_context():
        return {"type": "system", "id": None, "email": None}
    if request.path.startswith(PLUGIN_PREFIX):
        return {"type": "plugin", "id": request.path[len(PLUGIN_PREFIX) :].split("/", 1)[0], "email": None}
    user_id = g.get("user_id")
    if user_id:
        return {"type": "user", "id": user_id, "email": _user_email()}
    if request.path.startswith("/api/v1/public/") or not request.path.startswith("/api/"):
        return {"type": "customer", "id": None, "email": None}
    # An unauthenticated account endpoint (register, accept an invitation): the user it creates, if any.
    return {"type": "user", "id": None, "email": None}


def request_details() -> tuple[str | None, str | None]:
    """(client address, request id) of the current request, if any."""
    if not has_request_context():
        return None, None
    return request.remote_addr, g.get("request_id")


def _user_email() -> str | None:
    try:
        from flask_jwt_extended import get_current_user

        user = get_current_user()
    except Exception:  # noqa: BLE001 - no user loaded: the id alone is recorded
        return None
    return getattr(user, "email", None)


def _task_started(task) -> None:
    module = type(task).__module__ or ""
    name = f"{module}.{type(task).__name__}"
    # A plugin's periodic task (registered through careops_periodic_tasks) is the plugin's doing.
    actor = {"type": "system" if module.startswith("careops.") else "plugin", "id": name[:200], "email": None}
    _tokens[task.id] = _explicit.set(actor)


def _task_finished(task, _value, _exception) -> None:
    token = _tokens.pop(task.id, None)
    if token is not None:
        _explicit.reset(token)


def install_task_hooks() -> None:
    from careops.tasks import huey

    huey.pre_execute(name="careops_audit_actor")(_task_started)
    huey.post_execute(name="careops_audit_actor")(_task_finished)
