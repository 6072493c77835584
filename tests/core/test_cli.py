"""``flask careops …``: create-owner, demo, plugins."""

from __future__ import annotations

import json

import sqlalchemy as sa

from careops.auth.models import User
from careops.extensions import db
from careops.workspaces.models import Workspace
from tests.conftest import PASSWORD


def create_owner(app, email="cli-owner@example.com", password=PASSWORD, **extra):
    args = [
        "careops",
        "create-owner",
        "--email",
        email,
        "--password",
        password,
        "--full-name",
        "Cli Owner",
        "--workspace",
        "Cli Clinic",
    ]
    for key, value in extra.items():
        args += [f"--{key}", value]
    return app.test_cli_runner().invoke(args=args)


def test_create_owner(app, client):
    result = create_owner(app, email="Cli-Owner@Example.com", timezone="Europe/Berlin")
    assert result.exit_code == 0, result.output
    assert "cli-owner@example.com" in result.output and "/cli-clinic" in result.output
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
        workspace = db.session.get(Workspace, user.workspace_id)
        assert (user.role, workspace.timezone, workspace.status) == ("owner", "Europe/Berlin", "setup")
    assert (
        client.post("/api/v1/auth/login", json={"email": "cli-owner@example.com", "password": PASSWORD}).status_code
        == 200
    )


def test_create_owner_refuses_invalid_input_with_a_message(app):
    result = create_owner(app, password="short")
    assert result.exit_code == 1 and "password" in result.output
    result = create_owner(app, timezone="Moon/Base")
    assert result.exit_code == 1 and "timezone" in result.output


def test_create_owner_with_a_taken_email_is_a_message_not_a_traceback(app):
    assert create_owner(app).exit_code == 0
    result = create_owner(app)
    assert result.exit_code == 1
    assert "already exists" in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped Conflict


def test_demo_seeds_once(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["careops", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demo workspace created." in first.output
    second = runner.invoke(args=["careops", "demo"])
    assert second.exit_code == 0 and "created" not in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Workspace)) == 1
    from careops.demo import DEMO

    assert (
        client.post("/api/v1/auth/login", json={"email": DEMO["email"], "password": DEMO["password"]}).status_code
        == 200
    )


def test_plugins_command_lists_the_default_plugins(app):
    result = app.test_cli_runner().invoke(args=["careops", "plugins"])
    assert result.exit_code == 0
    names = {p["name"] for p in json.loads(result.output)}
    assert {
        "careops.default_plugins.console",
        "careops.default_plugins.basic_forms",
        "careops.default_plugins.moving_average",
        "careops.default_plugins.core_tasks",
    } <= names
