"""Each hook driven through the core code that consumes it, as a plugin author relies on it.

``test_hook_<name>`` per hook; :func:`test_every_hook_has_a_caller_driven_test`
fails when a hook is added without one (the form pack and forecaster hooks are
driven through ``/form-packs`` and ``/inventory/forecast`` in their domains' tests).
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import pytest

from careops import hookspecs
from careops.events import EVENTS, deliver
from tests.conftest import assert_error
from tests.messaging.fixtures import providers  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]

RECEIVER_PLUGIN = """
from careops import hookimpl

seen = []


def remember_contact(sender, *, event_id, workspace_id, contact_id, source, **_):
    seen.append((workspace_id, contact_id, source))


@hookimpl
def careops_event_receivers():
    return [("contact_created", remember_contact)]
"""


@pytest.fixture
def receiver_plugin(install_plugin):
    return install_plugin(RECEIVER_PLUGIN)


@pytest.fixture
def config_overrides(request):
    # Plugins installed by a test's fixtures are on sys.path before the ``app`` fixture builds the app.
    for name in ("receiver_plugin",):
        if name in request.fixturenames:
            request.getfixturevalue(name)
    return {}


def test_hook_careops_event_receivers(owner, receiver_plugin, app):
    _, module = receiver_plugin
    created = owner.post("/api/v1/contacts", json={"name": "Ada", "email": "ada@example.com"})
    assert created.status_code == 201, created.get_json()
    seen = sys.modules[module].seen
    assert seen == [(owner.workspace_id, created.get_json()["id"], "staff")]
    # A second delivery of the same event runs the plugin's receiver no second time.
    from careops.events import OutboxEvent
    from careops.extensions import db

    with app.app_context():
        event_id = db.session.query(OutboxEvent.id).filter_by(name="contact_created").scalar()
        assert deliver(event_id) is True
    assert len(seen) == 1


def test_hook_careops_event_receivers_refuses_an_unknown_event(make_app, install_plugin):
    install_plugin("""
from careops import hookimpl

def nothing(sender, **kwargs):
    pass

@hookimpl
def careops_event_receivers():
    return [("booking_teleported", nothing)]
""")
    with pytest.raises(ValueError, match="booking_teleported"):
        make_app()


def test_hook_careops_communication_providers(owner, providers):
    """A plugin's provider is offered by /integrations/providers and sends what the inbox sends."""
    listed = owner.get("/api/v1/integrations/providers")
    assert listed.status_code == 200
    assert {"alpha", "beta"} <= {p["name"] for p in listed.get_json()}
    put = owner.put(
        "/api/v1/integrations/email",
        json={"provider": "alpha", "config": {"api_key": "k-1"}, "enabled": True, "priority": 1},
    )
    assert put.status_code == 200, put.get_json()
    contact = owner.post("/api/v1/contacts", json={"name": "Ada", "email": "ada@example.com"}).get_json()
    conversation = owner.get(f"/api/v1/contacts/{contact['id']}").get_json()["conversation_id"]
    reply = owner.post(f"/api/v1/conversations/{conversation}/messages", json={"body": "Hello Ada"})
    assert reply.status_code == 201, reply.get_json()
    sent = providers.to("alpha")
    assert [(m.to, m.body) for m in sent] == [("ada@example.com", "Hello Ada")]
    assert providers.sent[0][2]["api_key"] == "k-1"  # the provider is built with its decrypted config


def test_hook_careops_integrations(owner, app):
    """A plugin's integration is listed, configured with its schema, and pinged through its ``test``."""
    from careops.plugins import get_manager
    from tests.integrations.test_integrations import PINGS, CalendarPlugin

    PINGS.clear()
    plugin = CalendarPlugin()
    get_manager().register(plugin, name="test-calendar-through-callers")
    try:
        assert [i["status"] for i in owner.get("/api/v1/integrations").get_json()] == ["available"]
        put = owner.put(
            "/api/v1/integrations/calendar",
            json={"provider": "caldav", "config": {"url": "http://plain.example"}, "enabled": True},
        )
        assert put.status_code == 200, put.get_json()
        assert owner.post("/api/v1/integrations/calendar/test", json={}).get_json() == {
            "ok": False,
            "detail": "reached http://plain.example",
        }
        assert [(owner.workspace_id, {"url": "http://plain.example", "password": None})] == PINGS
        assert_error(owner.put("/api/v1/integrations/calendar", json={"provider": "caldav", "config": {}}), 422)
    finally:
        get_manager().unregister(plugin)


def test_every_hook_has_a_caller_driven_test():
    names = sorted(
        name for name, fn in vars(hookspecs).items() if inspect.isfunction(fn) and hasattr(fn, "careops_spec")
    )
    sources = "\n".join(
        path.read_text()
        for folder in [ROOT / "tests", *ROOT.glob("plugins/*/tests")]
        for path in folder.rglob("test_*.py")
    )
    defined = set(re.findall(r"^def (test_hook_careops_\w+?)\(", sources, flags=re.M))
    missing = [
        name
        for name in names
        if not any(test == f"test_hook_{name}" or test.startswith(f"test_hook_{name}_") for test in defined)
    ]
    assert not missing, f"hooks without a test_hook_<name> driving their caller: {missing}"


def test_every_event_named_by_receivers_exists():
    assert "contact_created" in EVENTS
