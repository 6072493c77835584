"""What a self-hoster meets: closed registration, one-line start-up errors, 503s, backups, the demo, logs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from careops import config, create_app
from careops.auth.models import User
from careops.extensions import db
from careops.workspaces.models import Workspace
from tests.conftest import PASSWORD, TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]


def registration_body(**extra):
    return {
        "email": "new-owner@example.com",
        "password": PASSWORD,
        "full_name": "New Owner",
        "workspace_name": "New Clinic",
        **extra,
    }


# --- registration -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["closed"])
def test_closed_registration_refuses_everyone_and_creates_nothing(make_app_with, mode):
    app = make_app_with(CAREOPS_REGISTRATION=mode)
    response = app.test_client().post("/api/v1/auth/register", json=registration_body())
    assert response.status_code == 403
    assert response.get_json()["error_code"] == "REGISTRATION_CLOSED"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Workspace)) == 0


def test_invite_registration_needs_the_operators_code(make_app_with):
    app = make_app_with(CAREOPS_REGISTRATION="invite", CAREOPS_REGISTRATION_CODE="spring-2026-signup")
    client = app.test_client()
    assert client.post("/api/v1/auth/register", json=registration_body()).status_code == 403
    wrong = client.post("/api/v1/auth/register", json=registration_body(invite_code="guess"))
    assert wrong.status_code == 403 and wrong.get_json()["error_code"] == "REGISTRATION_CLOSED"
    right = client.post("/api/v1/auth/register", json=registration_body(invite_code="spring-2026-signup"))
    assert right.status_code == 201, right.get_json()
    assert "invite_code" not in right.get_json()["user"]


def test_open_registration_is_the_development_default(app, client):
    assert app.config["CAREOPS_REGISTRATION"] == "open"
    assert client.post("/api/v1/auth/register", json=registration_body()).status_code == 201


def test_closed_registration_still_lets_invited_staff_join(make_app_with):
    app = make_app_with(CAREOPS_REGISTRATION="closed")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "careops",
            "create-owner",
            "--email",
            "first@example.com",
            "--password",
            PASSWORD,
            "--full-name",
            "First Owner",
            "--workspace",
            "First Clinic",
        ]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"email": "first@example.com", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    invitation = client.post(
        "/api/v1/staff/invitations",
        headers=headers,
        json={"email": "staff@example.com", "permissions": {"inbox": True}},
    )
    assert invitation.status_code == 201, invitation.get_json()
    accepted = client.post(
        "/api/v1/auth/accept-invitation",
        json={"token": invitation.get_json()["token"], "full_name": "Sam Staff", "password": PASSWORD},
    )
    assert accepted.status_code == 201


# --- configuration checks ---------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch):
    for variable in config.ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def load(tmp_path, **overrides):
    app = Flask("careops-self-hosting-test", instance_path=str(tmp_path))
    config.load(app, overrides)
    return app.config


def test_production_defaults_close_registration_and_log_json(clean_env, tmp_path):
    cfg = load(tmp_path, CAREOPS_ENV="production", SECRET_KEY="s" * 48, CAREOPS_PUBLIC_URL="https://book.example")
    assert cfg["CAREOPS_REGISTRATION"] == "closed"
    assert cfg["CAREOPS_LOG_JSON"] is True
    development = load(tmp_path)
    assert development["CAREOPS_REGISTRATION"] == "open" and development["CAREOPS_LOG_JSON"] is False


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]/", "http://0.0.0.0"])
def test_production_refuses_a_public_url_customers_cannot_open(clean_env, tmp_path, url):
    with pytest.raises(config.ConfigError, match="CAREOPS_PUBLIC_URL"):
        load(tmp_path, CAREOPS_ENV="production", SECRET_KEY="s" * 48, CAREOPS_PUBLIC_URL=url)
    cfg = load(
        tmp_path,
        CAREOPS_ENV="production",
        SECRET_KEY="s" * 48,
        CAREOPS_PUBLIC_URL=url,
        CAREOPS_ALLOW_LOOPBACK_PUBLIC_URL="true",
    )
    assert cfg["CAREOPS_PUBLIC_URL"] == url


def test_unknown_registration_mode_and_invite_without_code_are_refused(clean_env, tmp_path):
    with pytest.raises(config.ConfigError, match="CAREOPS_REGISTRATION"):
        load(tmp_path, CAREOPS_REGISTRATION="sometimes")
    with pytest.raises(config.ConfigError, match="CAREOPS_REGISTRATION_CODE"):
        load(tmp_path, CAREOPS_REGISTRATION="invite")


def run_wsgi(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CAREOPS_")}
    environment.update(
        {"CAREOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "CAREOPS_TASK_QUEUE": "immediate", **env}
    )
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_a_missing_production_secret_is_one_line_not_a_traceback(tmp_path):
    result = run_wsgi(tmp_path, CAREOPS_ENV="production")
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("careops: CAREOPS_SECRET_KEY"), result.stderr


def test_a_loopback_public_url_in_production_is_one_line(tmp_path):
    result = run_wsgi(tmp_path, CAREOPS_ENV="production", CAREOPS_SECRET_KEY="s" * 48)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr and "careops: CAREOPS_PUBLIC_URL" in result.stderr


# --- dependencies down ------------------------------------------------------------------------------------


@pytest.fixture
def make_app_with(app_config, _schema):
    """An app on the test database with some settings changed (tables emptied like the ``app`` fixture)."""
    from tests.conftest import empty_tables

    apps = []

    def make(**overrides):
        app = create_app({**app_config, **overrides})
        with app.app_context():
            empty_tables()
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def fresh_app(app_config, database_url):
    return create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}}
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/careops",  # nothing listens on port 1
        "sqlite:////nonexistent-directory/careops.db",
    ],
)
def test_database_down_answers_503_with_the_error_body(app_config, url):
    app = fresh_app(app_config, url)
    response = app.test_client().post("/api/v1/auth/login", json={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 503
    body = response.get_json()
    assert body["error_code"] == "SERVICE_UNAVAILABLE" and body["request_id"]
    assert "Traceback" not in body["detail"] and "psycopg" not in body["detail"]
    assert app.test_client().get("/healthz").status_code == 200  # liveness touches no dependency
    assert app.test_client().get("/readyz").status_code == 503


def test_before_migrations_the_api_says_503_and_the_cli_says_run_upgrade(app_config, tmp_path):
    app = fresh_app(app_config, f"sqlite:///{tmp_path / 'empty.db'}")
    response = app.test_client().post("/api/v1/auth/login", json={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 503 and "schema" in response.get_json()["detail"]
    result = app.test_cli_runner().invoke(
        args=[
            "careops",
            "create-owner",
            "--email",
            "o@example.com",
            "--password",
            PASSWORD,
            "--full-name",
            "O",
            "--workspace",
            "W",
        ]
    )
    assert result.exit_code == 1
    assert "flask --app wsgi db upgrade" in result.output and "Traceback" not in result.output


# --- the demo ---------------------------------------------------------------------------------------------


def test_demo_is_refused_in_production_unless_forced(make_app_with):
    app = make_app_with(CAREOPS_ENV="production", CAREOPS_PUBLIC_URL="https://book.example")
    refused = app.test_cli_runner().invoke(args=["careops", "demo"])
    assert refused.exit_code == 1 and "refused in production" in refused.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    forced = app.test_cli_runner().invoke(args=["careops", "demo", "--force"])
    assert forced.exit_code == 0, forced.output


def test_the_demo_team_is_three_people_with_different_permissions(app, client):
    result = app.test_cli_runner().invoke(args=["careops", "demo"])
    assert result.exit_code == 0, result.output
    from careops.demo import DEMO, STAFF

    permissions = {}
    for email in [DEMO["email"]] + [m["email"] for m in STAFF]:
        login = client.post("/api/v1/auth/login", json={"email": email, "password": DEMO["password"]})
        assert login.status_code == 200, email
        permissions[email] = login.get_json()["user"]["permissions"]
    assert len({tuple(sorted(p.items())) for p in permissions.values()}) == 3
    reception = client.post("/api/v1/auth/login", json={"email": STAFF[0]["email"], "password": DEMO["password"]})
    headers = {"Authorization": f"Bearer {reception.get_json()['access_token']}"}
    assert client.get("/api/v1/bookings", headers=headers).status_code == 200
    assert client.get("/api/v1/staff", headers=headers).status_code == 403


# --- backups ----------------------------------------------------------------------------------------------


def count_workspaces() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Workspace))


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the SQLite backup path; PostgreSQL's is tested below")
def test_sqlite_backup_and_restore_through_the_cli(app, register, tmp_path):
    register(workspace_name="Kept Clinic")
    target = tmp_path / "backups" / "careops.sqlite"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["careops", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists() and not target.with_name(target.name + ".partial").exists()
    register(workspace_name="Added After The Backup")
    with app.app_context():
        assert count_workspaces() == 2
    result = runner.invoke(args=["careops", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = db.session.scalars(sa.select(Workspace.name)).all()
    assert names == ["Kept Clinic"]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs CAREOPS_TEST_DATABASE_URL (PostgreSQL)")
def test_postgresql_backup_restores_into_another_database(app, register, tmp_path):
    from careops.operations import backup

    register(workspace_name="Kept Clinic")
    target = tmp_path / "careops.dump"
    with app.app_context():
        message = backup.backup(target)
        source_url = db.engine.url
    assert target.stat().st_size > 0 and "Backed up" in message
    scratch = f"careops_restore_{os.getpid()}"
    # The app's role may not create databases (tests/conftest.py): the superuser
    # makes the scratch one and gives it to the app's role, as production's owner is.
    admin = sa.create_engine(
        sa.make_url(config.database_url(TEST_DATABASE_URL)).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{scratch}" OWNER "{source_url.username}"'))
    try:
        with app.app_context():
            backup.restore(target, url=source_url.set(database=scratch))
        restored = sa.create_engine(source_url.set(database=scratch))
        with restored.connect() as connection:
            names = connection.execute(sa.text("SELECT name FROM workspaces")).scalars().all()
            # The workspace rows came through row-level security: the dump ran unscoped.
            connection.execute(sa.text("SELECT set_config('careops.unscoped', 'on', false)"))
            users = connection.execute(sa.text("SELECT count(*) FROM users")).scalar()
        restored.dispose()
        assert names == ["Kept Clinic"]
        assert users == 1
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


def test_backup_refuses_an_unknown_tool_with_a_message(app, monkeypatch, tmp_path):
    from careops.operations import backup

    monkeypatch.setattr(backup.shutil, "which", lambda tool: None)
    with pytest.raises(RuntimeError, match="pg_dump is not installed"):
        backup._run("pg_dump", url=sa.make_url("postgresql://u@h/db"))


# --- logs -------------------------------------------------------------------------------------------------


def test_one_access_line_per_request_with_the_route_not_the_token(app, client, caplog):
    caplog.set_level(logging.INFO, logger="careops.access")
    response = client.get("/api/v1/public/bookings/secret-manage-token-1234567890", headers={"X-Request-ID": "rq-7"})
    assert response.status_code == 404
    lines = [r for r in caplog.records if r.name == "careops.access"]
    assert len(lines) == 1
    event = lines[0].msg
    assert event["path"] == "/api/v1/public/bookings/<token>" and event["status"] == 404
    assert event["request_id"] == "rq-7"
    assert event["method"] == "GET" and event["duration_ms"] >= 0
    assert "secret-manage-token" not in repr(event)
    assert "secret-manage-token" not in repr(lines[0].__dict__)


# --- metrics ----------------------------------------------------------------------------------------------


def scrape(url: str) -> dict[str, float]:
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    samples = {}
    for family in text_string_to_metric_families(requests.get(url, timeout=10).text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


@pytest.mark.live
def test_metrics_are_the_same_on_every_scrape_across_gunicorn_workers(app, app_config, tmp_path):
    import requests

    from tests.live import LiveServer, server_env

    env = server_env(app_config, PROMETHEUS_MULTIPROC_DIR=tmp_path / "prometheus")
    stale = tmp_path / "prometheus"
    stale.mkdir()
    (stale / "counter_999999.db").write_bytes(b"left over from a previous run")
    server = LiveServer(
        env, workers=2, log_path=tmp_path / "gunicorn.log", extra_args=("-c", "python:careops.gunicorn_conf")
    )
    base = server.start()
    try:
        for _ in range(30):
            assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        key = "careops_http_requests_total{endpoint=/healthz,method=GET,status=200}"
        scrapes = [scrape(f"{base}/metrics") for _ in range(6)]  # new connections: any worker may answer
        counts = {s.get(key) for s in scrapes}
        # The start-up probe hit /healthz too: at least our 30, and the same on every scrape.
        assert len(counts) == 1 and counts.pop() >= 30, counts
        assert not (stale / "counter_999999.db").exists()  # cleaned when the master started
    finally:
        server.stop()


@pytest.mark.live
def test_the_consumer_serves_task_queue_and_outbox_metrics(app, app_config, tmp_path):
    import time

    import requests

    from tests.live import free_port, server_env

    port = free_port()
    env = server_env(
        app_config, CAREOPS_TASK_QUEUE=f"sqlite:///{tmp_path / 'tasks.db'}", CAREOPS_WORKER_METRICS_PORT=port
    )
    log_path = tmp_path / "consumer.log"
    consumer = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "careops", "worker", "--no-periodic"],
        cwd=ROOT,
        env=env,
        stdout=open(log_path, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        samples = None
        while time.monotonic() < deadline:
            try:
                samples = scrape(f"http://127.0.0.1:{port}/metrics")
                break
            except requests.RequestException:
                time.sleep(0.2)
        assert samples is not None, "the consumer served no metrics"
        assert samples["careops_task_queue_depth{}"] >= 0
        assert samples["careops_outbox_lag_seconds{}"] == 0, log_path.read_text()
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)


def test_a_task_caused_by_a_request_logs_under_its_request_id(app, caplog):
    import structlog

    from careops.tasks import huey, task

    seen = []

    @task(name="self_hosting_probe")
    def probe(value):
        seen.append((value, structlog.contextvars.get_contextvars().get("request_id")))
        logging.getLogger("careops.test").warning("probe ran")

    with structlog.contextvars.bound_contextvars(request_id="rq-into-task"):
        queued = probe.s(7)
        assert queued.kwargs == {}  # added when enqueued, so a retry keeps it
        probe(7)  # immediate mode: enqueued and run here
    assert seen == [(7, "rq-into-task")]
    assert structlog.contextvars.get_contextvars().get("request_id") is None  # restored after the task
    probe(8)  # outside any request: no id, no error
    assert seen[-1] == (8, None)
    huey._registry.unregister(probe.task_class)
