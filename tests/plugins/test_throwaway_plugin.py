"""A plugin installed as a distribution is loaded by create_app, and each of its hooks is used."""

from __future__ import annotations

import json
import sys

import pluggy
import pytest

from careops import plugins
from careops.cli import careops_cli
from careops.tasks import huey
from tests.conftest import assert_error

PLUGIN = '''
import marshmallow as ma
from flask import current_app
from huey import crontab

from careops import hookimpl
from careops.extensions import db
from careops.http import Blueprint
from careops.messaging import CommunicationProvider

started, ticks = [], []

blp = Blueprint("throwaway", __name__, description="A throwaway plugin's endpoints")


class PongSchema(ma.Schema):
    pong = ma.fields.Boolean()


@blp.route("/ping", methods=["GET"])
@blp.protected()
@blp.response(200, PongSchema)
def ping():
    """Answer pong."""
    return {"pong": True}


class PigeonProvider(CommunicationProvider):
    name = "pigeon"
    channels = ("sms",)

    def send(self, message):
        return "coo"


class CoinForecaster:
    name = "coin"

    def forecast(self, item, movements, upcoming_usage, days):
        return {"expected_use": 1, "days_until_empty": None, "reorder_suggested": False, "method": self.name}


def tick():
    ticks.append((current_app.name, db.session.execute(db.text("SELECT 1")).scalar()))


@hookimpl
def careops_communication_providers():
    return [PigeonProvider]


@hookimpl
def careops_form_packs():
    return [{"key": "throwaway-pack", "name": "Throwaway", "description": "Test pack", "templates": []}]


@hookimpl
def careops_inventory_forecasters():
    return [CoinForecaster()]


@hookimpl
def careops_integrations():
    return [{"key": "throwaway-calendar", "kind": "calendar", "provider": "throwaway",
             "config_schema": ma.Schema, "test": lambda workspace_id, config: (True, "fine")}]


@hookimpl
def careops_blueprints(api):
    return [blp]


@hookimpl
def careops_periodic_tasks():
    # The second shares its name with a core periodic task: it must not be mistaken for it.
    return [{"name": "throwaway_tick", "schedule": crontab(minute="*/5"), "run": tick},
            {"name": "sweep_outbox", "schedule": crontab(minute="*/7"), "run": tick}]


@hookimpl
def careops_cli_commands(cli):
    @cli.command("throwaway-hello")
    def hello():
        """Say hello from the throwaway plugin."""
        print("hello from throwaway")


@hookimpl
def careops_startup(app):
    started.append(app)
'''

ALL_HOOKS = sorted(
    [
        "careops_communication_providers",
        "careops_form_packs",
        "careops_inventory_forecasters",
        "careops_integrations",
        "careops_blueprints",
        "careops_periodic_tasks",
        "careops_cli_commands",
        "careops_startup",
    ]
)


@pytest.fixture
def throwaway(install_plugin):
    project, module = install_plugin(PLUGIN, version="1.2.3")
    yield project, module
    careops_cli.commands.pop("throwaway-hello", None)


@pytest.fixture
def config_overrides(throwaway):
    """Installs the plugin before the ``app`` fixture builds the app."""
    return {}


def loaded(module):
    return sys.modules[module]


def test_plugin_is_listed_with_version_and_hooks(owner, throwaway):
    project, _ = throwaway
    response = owner.get("/api/v1/plugins")
    assert response.status_code == 200
    listed = {p["name"]: p for p in response.get_json()}
    assert listed[project] == {"name": project, "version": "1.2.3", "hooks": ALL_HOOKS}
    assert listed["careops.default_plugins.console"]["hooks"] == ["careops_communication_providers"]


def test_plugins_endpoint_is_owner_only(client, owner, make_staff):
    staff = make_staff(owner, inbox=True, bookings=True, forms=True, inventory=True)
    assert_error(staff.get("/api/v1/plugins"), 403, "FORBIDDEN")
    assert_error(client.get("/api/v1/plugins"), 401, "UNAUTHORIZED")


def test_cli_lists_the_plugin(app, throwaway):
    project, _ = throwaway
    result = app.test_cli_runner().invoke(args=["careops", "plugins"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.output)}
    assert listed[project]["version"] == "1.2.3" and listed[project]["hooks"] == ALL_HOOKS


def test_hook_careops_startup(app, throwaway):
    assert loaded(throwaway[1]).started == [app]


def test_hook_careops_blueprints(client, owner, throwaway):
    response = owner.get("/api/v1/plugins/throwaway/ping")
    assert response.status_code == 200 and response.get_json() == {"pong": True}
    assert_error(client.get("/api/v1/plugins/throwaway/ping"), 401)
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/plugins/throwaway/ping"]["get"]
    assert operation["security"] == [{"bearerAuth": []}] and "401" in operation["responses"]
    assert any(tag["name"] == "throwaway" for tag in spec["tags"])


def test_hook_careops_cli_commands(app, throwaway):
    runner = app.test_cli_runner()
    help_text = runner.invoke(args=["careops", "--help"]).output
    assert "throwaway-hello" in help_text and "worker" in help_text
    result = runner.invoke(args=["careops", "throwaway-hello"])
    assert result.exit_code == 0 and "hello from throwaway" in result.output


def test_hook_careops_periodic_tasks(app, throwaway):
    module = throwaway[1]
    periodic = {f"{t.__module__}.{t.__name__}": t for t in huey._registry._periodic_tasks}
    assert f"{module}.throwaway_tick" in periodic
    assert f"{module}.sweep_outbox" in periodic and "careops.events_tasks.sweep_outbox" in periodic
    huey.execute(periodic[f"{module}.throwaway_tick"]())  # as the consumer does, outside any app context
    assert loaded(module).ticks == [(app.name, 1)]


def test_contributions_are_collected(app, throwaway):
    hook = plugins.hook()
    assert "pigeon" in {p.name for p in plugins.collect(hook.careops_communication_providers())}
    assert "throwaway-pack" in {p["key"] for p in plugins.collect(hook.careops_form_packs())}
    assert "coin" in {f.name for f in plugins.collect(hook.careops_inventory_forecasters())}
    integrations = {i["key"]: i for i in plugins.collect(hook.careops_integrations())}
    assert integrations["throwaway-calendar"]["kind"] == "calendar"
    assert integrations["throwaway-calendar"]["test"]("ws", {}) == (True, "fine")


def test_entry_points_can_be_switched_off(make_app, throwaway):
    make_app(CAREOPS_LOAD_ENTRYPOINT_PLUGINS=False)
    names = {p["name"] for p in plugins.describe()}
    assert throwaway[0] not in names and "careops.default_plugins.console" in names


def test_misspelled_hook_skips_that_plugin_and_says_so(make_app, install_plugin, caplog):
    project, module = install_plugin("""
from careops import hookimpl

@hookimpl
def careops_comunication_providers():
    return []
""")
    app = make_app()
    assert app is not None
    assert module not in {p["name"] for p in plugins.describe()} | {project}
    assert "careops_comunication_providers" in caplog.text and module in caplog.text


def test_a_plugin_that_fails_to_import_is_skipped_and_the_app_and_cli_start(make_app, install_plugin, caplog):
    project, module = install_plugin("""
raise ImportError("this plugin needs libfoo")
""")
    app = make_app()
    names = {p["name"] for p in plugins.describe()}
    assert project not in names and "careops.default_plugins.console" in names
    assert f"plugin {module} ({project}) failed to load" in caplog.text and "libfoo" in caplog.text
    result = app.test_cli_runner().invoke(args=["careops", "plugins"])
    assert result.exit_code == 0 and project not in result.output


def test_disabled_plugins_are_not_loaded(make_app, throwaway):
    project, module = throwaway
    make_app(CAREOPS_DISABLED_PLUGINS=f" {project} ,careops.default_plugins.basic_forms")
    names = {p["name"] for p in plugins.describe()}
    assert project not in names and "careops.default_plugins.basic_forms" not in names
    assert "careops.default_plugins.console" in names
    make_app(CAREOPS_DISABLED_PLUGINS=module)  # the entry point's name works too
    assert project not in {p["name"] for p in plugins.describe()}


def test_check_pending_rejects_a_misspelled_hook():
    class Typo:
        @staticmethod
        @pluggy.HookimplMarker("careops")
        def careops_form_pack():
            return []

    pm = plugins.build_manager(load_entrypoints=False)
    pm.register(Typo(), name="typo")
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


def test_hook_careops_startup_can_refuse_to_start(make_app, install_plugin):
    install_plugin("""
from careops import hookimpl

@hookimpl
def careops_startup(app):
    raise RuntimeError("THROWAWAY_API_KEY is not set")
""")
    with pytest.raises(RuntimeError, match="THROWAWAY_API_KEY"):
        make_app()
