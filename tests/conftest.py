"""Fixtures: an app on a fresh database, clients, and factories for workspaces and users.

The database is SQLite (a file per test session) unless
``CAREOPS_TEST_DATABASE_URL`` names a PostgreSQL database; ``CAREOPS_TEST_REDIS_URL``
adds Redis (revocations, rate limits, circuit state). The schema is built once
per session; every test starts from empty tables. Tasks run immediately.
"""

from __future__ import annotations

import itertools
import os

import pytest
import redis as redis_lib
import sqlalchemy as sa

from careops import create_app
from careops.extensions import db

TEST_DATABASE_URL = os.environ.get("CAREOPS_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("CAREOPS_TEST_REDIS_URL")
PASSWORD = "correct-horse-battery"
#: The role the app runs as on PostgreSQL. ``CAREOPS_TEST_DATABASE_URL`` names a
#: superuser, and superusers skip row-level security even when it is forced: the
#: app connects as this ordinary role instead, so every PostgreSQL test runs
#: under the tenant policies as production does (docs/production.md).
APP_ROLE = "careops_app"


def is_postgresql(url: str | None) -> bool:
    return bool(url) and url.startswith(("postgres://", "postgresql"))


def app_role_url(url: str) -> str:
    """``url`` with the app's role instead of its user (same password: trust or md5 alike)."""
    return sa.engine.make_url(url).set(username=APP_ROLE).render_as_string(hide_password=False)


APP_DATABASE_URL = app_role_url(TEST_DATABASE_URL) if is_postgresql(TEST_DATABASE_URL) else TEST_DATABASE_URL


def base_config(tmp_path_factory) -> dict:
    root = tmp_path_factory.getbasetemp()
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "SQLALCHEMY_DATABASE_URI": APP_DATABASE_URL or f"sqlite:///{root / 'careops-test.db'}",
        "CAREOPS_TASK_QUEUE": "immediate",
        "CAREOPS_REDIS_URL": TEST_REDIS_URL,
        "CAREOPS_BCRYPT_ROUNDS": 4,
        "CAREOPS_RATELIMIT_ENABLED": False,
        "CAREOPS_PUBLIC_URL": "http://careops.test",
    }


@pytest.fixture(scope="session")
def app_config(tmp_path_factory):
    return base_config(tmp_path_factory)


def prepare_app_role(superuser_url: str) -> None:
    """Create the app's role if missing, let it build tables, and drop what an earlier run left.

    The tables are dropped as the superuser: an earlier run may have built them
    under another owner, which the app's role could not drop.
    """
    from careops.config import database_url

    password = sa.engine.make_url(superuser_url).password
    engine = sa.create_engine(database_url(superuser_url))
    try:
        with engine.begin() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": APP_ROLE})
            if not exists:
                # Several test sessions may race to create it: the loser's error is harmless.
                conn.exec_driver_sql(
                    f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
                    + (f" PASSWORD '{password}'" if password else "")
                    + " ; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
                )
            conn.exec_driver_sql(f"GRANT USAGE, CREATE ON SCHEMA public TO {APP_ROLE}")
            db.metadata.drop_all(conn)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _schema(app_config):
    from careops import rls

    app = create_app(app_config)  # imports every model before the tables are dropped
    if is_postgresql(TEST_DATABASE_URL):
        prepare_app_role(TEST_DATABASE_URL)
    with app.app_context():
        db.drop_all()
        db.create_all()
        with db.engine.begin() as conn:  # create_all knows nothing of row-level security
            rls.enable(conn, rls.workspace_tables(db.metadata))
    yield
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_tables():
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
    else:
        for table in tables:
            db.session.execute(sa.text(f'DELETE FROM "{table}"'))
    db.session.commit()


@pytest.fixture(autouse=True)
def test_code_unscoped():
    """Test code (fixtures, assertions reading the database) works across workspaces.

    This does not mask app code that forgets its scope: every request clears the
    scope at its start (``careops.http``) and every task sets its own
    (``careops.tasks``), so only the test's own statements run unscoped.
    Tests of the scope itself (tests/core/test_scoping.py) clear it where they need to.
    """
    from careops import scoping

    with scoping.unscoped():
        yield


@pytest.fixture
def config_overrides():
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(_schema, app_config, config_overrides):
    app = create_app({**app_config, **config_overrides})
    with app.app_context():
        empty_tables()
    if TEST_REDIS_URL:
        redis_lib.Redis.from_url(TEST_REDIS_URL).flushdb()
    from careops.extensions import limiter

    if limiter.enabled:
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        # Close the pool now rather than at garbage collection: with one app per
        # test, idle pools add up to PostgreSQL's max_connections.
        db.engine.dispose()


_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}-{os.getpid()}"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Actor:
    """A logged-in user: its tokens, ids and an authorised client."""

    def __init__(self, client, data: dict):
        self.client = client
        self.access_token = data["access_token"]
        self.refresh_token = data.get("refresh_token")
        self.user = data["user"]
        self.workspace = data.get("workspace")
        self.headers = bearer(self.access_token)

    @property
    def workspace_id(self) -> str:
        return self.user["workspace_id"]

    def get(self, url, **kw):
        return self.client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, url, json=None, **kw):
        return self.client.put(url, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def patch(self, url, json=None, **kw):
        return self.client.patch(url, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)


@pytest.fixture
def register(client):
    """``register(**fields)`` → an owner :class:`Actor` of a new workspace."""

    def _register(**fields) -> Actor:
        body = {
            "email": f"{unique('owner')}@example.com",
            "password": PASSWORD,
            "full_name": "Olive Owner",
            "workspace_name": unique("Clinic "),
            "timezone": "Europe/Paris",
            # Said explicitly: the tests read phone numbers as US ones unless they set a country.
            "country": "US",
            **fields,
        }
        response = client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 201, response.get_json()
        actor = Actor(client, response.get_json())
        actor.password = body["password"]
        return actor

    return _register


@pytest.fixture
def owner(register) -> Actor:
    return register()


@pytest.fixture
def other_owner(register) -> Actor:
    """The owner of a second workspace, for isolation tests."""
    return register()


@pytest.fixture
def make_staff(client):
    """``make_staff(owner, inbox=True, …)`` → a staff :class:`Actor` of the owner's workspace."""

    def _make(owner: Actor, **permissions) -> Actor:
        invitation = owner.post(
            "/api/v1/staff/invitations", json={"email": f"{unique('staff')}@example.com", "permissions": permissions}
        )
        assert invitation.status_code == 201, invitation.get_json()
        accepted = client.post(
            "/api/v1/auth/accept-invitation",
            json={"token": invitation.get_json()["token"], "full_name": "Sam Staff", "password": PASSWORD},
        )
        assert accepted.status_code == 201, accepted.get_json()
        return Actor(client, accepted.get_json())

    return _make


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the error body of API.md with this status (and code)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    payload = response.get_json()
    assert set(payload) >= {"detail", "error_code", "timestamp", "request_id"}, payload
    assert payload["request_id"] == response.headers["X-Request-ID"]
    if code is not None:
        assert payload["error_code"] == code, payload
    assert ("errors" in payload) == (status == 422), payload
    return payload


@pytest.fixture
def make_app(app_config):
    """``make_app(**overrides)`` → a second app with its own configuration (no tables emptied).

    create_app points process-wide singletons (the Huey queue, the plugin
    manager) at the newest app; afterwards they are handed back to the app
    that was current before, so a test may mix ``app`` and ``make_app``
    (rate limits excepted: the limiter follows the newest app).
    """
    from careops import plugins, tasks

    saved_manager, saved_app = plugins._manager, tasks._app
    made = []

    def _make(**overrides):
        made.append(create_app({**app_config, **overrides}))
        return made[-1]

    yield _make
    for made_app in made:
        with made_app.app_context():
            db.session.remove()
            db.engine.dispose()
    plugins.set_manager(saved_manager)
    if saved_app is not None:
        tasks.configure(saved_app)
