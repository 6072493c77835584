"""Fixtures shared by the messaging, inbox, automation and integrations tests.

``providers`` registers a throwaway plugin with two test providers (``alpha``
and ``beta``) that record what they send and fail on demand; ``active`` makes
the owner's workspace take public requests; ``console`` configures the
console provider for email and SMS.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import marshmallow as ma
import pytest
import sqlalchemy as sa

from careops import hookimpl
from careops.extensions import db
from careops.messaging.base import CommunicationProvider, ProviderError


class Controller:
    """What the test providers sent, and which of them fail."""

    def __init__(self):
        self.sent: list[tuple[str, object, dict]] = []  # (provider name, OutboundMessage, its config)
        self.failures: dict[str, Exception] = {}
        self.calls: dict[str, int] = {}

    def fail(self, name: str, *, retryable: bool = True, message: str | None = None):
        self.failures[name] = ProviderError(message or f"{name} is down", retryable=retryable)

    def crash(self, name: str):
        self.failures[name] = RuntimeError(f"{name} crashed")

    def heal(self, name: str):
        self.failures.pop(name, None)

    def to(self, name: str) -> list:
        return [m for n, m, _ in self.sent if n == name]


CONTROL = Controller()


class ProviderConfig(ma.Schema):
    api_key = ma.fields.String(required=True, metadata={"secret": True})
    sender = ma.fields.String(load_default="clinic@example.com")


class RecordingProvider(CommunicationProvider):
    channels = ("email", "sms")
    config_schema = ProviderConfig

    def send(self, message):
        CONTROL.calls[self.name] = CONTROL.calls.get(self.name, 0) + 1
        failure = CONTROL.failures.get(self.name)
        if failure is not None:
            raise failure
        CONTROL.sent.append((self.name, message, dict(self.config)))
        return f"{self.name}-{len(CONTROL.sent)}"


class AlphaProvider(RecordingProvider):
    name = "alpha"


class BetaProvider(RecordingProvider):
    name = "beta"


class ProvidersPlugin:
    @hookimpl
    def careops_communication_providers(self):
        return [AlphaProvider, BetaProvider]


@pytest.fixture
def providers(app):
    """The controller of the ``alpha`` and ``beta`` test providers (registered for this test)."""
    from careops.plugins import get_manager

    CONTROL.__init__()
    plugin = ProvidersPlugin()
    get_manager().register(plugin, name="test-providers")
    yield CONTROL
    get_manager().unregister(plugin)


def configure(actor, key: str, provider: str, *, priority: int = 100, config: dict | None = None, **extra):
    if config is None:
        config = {} if provider == "console" else {"api_key": f"secret-{provider}"}
    response = actor.put(
        f"/api/v1/integrations/{key}",
        json={"provider": provider, "config": config, "enabled": True, "priority": priority, **extra},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def console(owner):
    """The console provider for email and SMS in the owner's workspace."""
    configure(owner, "email", "console")
    configure(owner, "sms", "console")
    return owner


def activate(workspace_id: str) -> None:
    """Let the workspace take public requests (activation proper is the booking engine's check)."""
    from careops.workspaces.models import Workspace

    workspace = db.session.get(Workspace, workspace_id)
    workspace.status, workspace.activated_at = "active", datetime.now(UTC)
    db.session.commit()


@pytest.fixture
def active(owner):
    activate(owner.workspace_id)
    return owner


def slug_of(actor) -> str:
    return actor.get("/api/v1/workspace").get_json()["slug"]


def submit_contact(client, actor, **fields):
    body = {"name": "Carla Customer", "email": "carla@example.com", "message": "Do you take new patients?", **fields}
    return client.post(
        f"/api/v1/public/{slug_of(actor)}/contact", json={k: v for k, v in body.items() if v is not None}
    )


def messages(workspace_id: str, **criteria) -> list:
    from careops.inbox.models import Message

    stmt = sa.select(Message).where(Message.workspace_id == workspace_id)
    for key, value in criteria.items():
        stmt = stmt.where(getattr(Message, key) == value)
    db.session.expire_all()
    return list(db.session.scalars(stmt.order_by(Message.created_at)))


def outbox_events(workspace_id: str, name: str) -> list:
    from careops.events import OutboxEvent

    return list(
        db.session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.workspace_id == workspace_id, OutboxEvent.name == name)
        )
    )


def alerts(workspace_id: str, kind: str | None = None) -> list:
    from careops.alerts.models import Alert

    stmt = sa.select(Alert).where(Alert.workspace_id == workspace_id)
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


@contextmanager
def held(*task_wrappers):
    """Tasks of these kinds are dropped meanwhile (as if the queue lost them); others run as usual."""
    from careops.tasks import huey

    names = {t.task_class.__name__ if hasattr(t, "task_class") else t for t in task_wrappers}
    enqueue = huey.enqueue
    huey.enqueue = lambda task: None if type(task).__name__ in names else enqueue(task)
    try:
        yield
    finally:
        huey.enqueue = enqueue
