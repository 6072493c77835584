"""POST /auth/register: the owner, the workspace and its defaults; validation and races."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from careops.auth.models import User
from careops.extensions import db
from careops.resources.models import Resource
from careops.workspaces.models import ContactForm, Workspace
from tests.conftest import PASSWORD, assert_error, bearer


def body(**fields):
    return {
        "email": "olive@example.com",
        "password": PASSWORD,
        "full_name": "Olive Owner",
        "workspace_name": "Olive Clinic",
        **fields,
    }


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_register_creates_owner_and_workspace_in_setup(client, app):
    response = client.post("/api/v1/auth/register", json=body(timezone="Europe/Paris"))
    assert response.status_code == 201
    data = response.get_json()
    assert set(data) == {"access_token", "refresh_token", "user", "workspace"}
    user, workspace = data["user"], data["workspace"]
    assert user["role"] == "owner" and user["is_active"] is True
    assert user["email"] == "olive@example.com" and user["full_name"] == "Olive Owner"
    assert user["permissions"] == {"inbox": True, "bookings": True, "forms": True, "inventory": True}
    assert user["workspace_id"] == workspace["id"]
    assert workspace["status"] == "setup" and workspace["timezone"] == "Europe/Paris"
    assert workspace["country"] == "FR" and workspace["slug"] == "olive-clinic"  # the time zone's country
    assert "password" not in user and "password_hash" not in user
    me = client.get("/api/v1/auth/me", headers=bearer(data["access_token"]))
    assert me.get_json() == user


def test_register_creates_the_default_resource_and_contact_form(client, app):
    data = client.post("/api/v1/auth/register", json=body()).get_json()
    with app.app_context():
        resources = db.session.scalars(
            sa.select(Resource).where(Resource.workspace_id == data["workspace"]["id"])
        ).all()
        assert [(r.name, r.capacity, r.is_active) for r in resources] == [("Main calendar", 1, True)]
    form = client.get("/api/v1/contact-form", headers=bearer(data["access_token"])).get_json()
    assert [f["key"] for f in form["fields"]] == ["name", "email", "phone", "message"]
    assert form["enabled"] is True


def test_timezone_defaults_to_utc(client):
    data = client.post("/api/v1/auth/register", json=body()).get_json()
    assert data["workspace"]["timezone"] == "UTC"


@pytest.mark.parametrize("password", ["short", "123456789", "x" * 129])
def test_password_length_is_enforced(client, password):
    payload = assert_error(client.post("/api/v1/auth/register", json=body(password=password)), 422)
    assert list(payload["errors"]) == ["password"]


def test_password_of_ten_characters_is_enough(client):
    assert client.post("/api/v1/auth/register", json=body(password="0123456789")).status_code == 201


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("email", ""),
        ("timezone", "Mars/Olympus"),
        ("timezone", "europe/paris"),
        ("full_name", ""),
        ("workspace_name", ""),
    ],
)
def test_invalid_fields_are_422(client, field, value):
    payload = assert_error(client.post("/api/v1/auth/register", json=body(**{field: value})), 422)
    assert list(payload["errors"]) == [field]


@pytest.mark.parametrize("missing", ["email", "password", "full_name", "workspace_name"])
def test_required_fields(client, missing):
    data = body()
    del data[missing]
    payload = assert_error(client.post("/api/v1/auth/register", json=data), 422)
    assert list(payload["errors"]) == [missing]


@pytest.mark.parametrize("second", ["olive@example.com", "OLIVE@Example.COM", "  Olive@example.com "])
def test_duplicate_email_is_409_email_taken(client, app, second):
    assert client.post("/api/v1/auth/register", json=body()).status_code == 201
    response = client.post("/api/v1/auth/register", json=body(email=second, workspace_name="Other"))
    assert_error(response, 409, "EMAIL_TAKEN")
    with app.app_context():
        assert count(Workspace) == 1 and count(User) == 1


def test_email_is_stored_lower_cased(client):
    data = client.post("/api/v1/auth/register", json=body(email="Olive.Owner@Example.COM")).get_json()
    assert data["user"]["email"] == "olive.owner@example.com"


def test_same_workspace_name_gets_a_unique_slug(client):
    slugs = [
        client.post("/api/v1/auth/register", json=body(email=f"o{i}@example.com")).get_json()["workspace"]["slug"]
        for i in range(3)
    ]
    assert slugs == ["olive-clinic", "olive-clinic-2", "olive-clinic-3"]


def test_a_business_named_like_a_public_path_gets_another_slug(client):
    # /public/bookings/… and /public/forms/… are manage-link and form paths, not workspaces.
    made = client.post("/api/v1/auth/register", json=body(workspace_name="Bookings"))
    slug = made.get_json()["workspace"]["slug"]
    assert slug == "bookings-2"
    assert client.get(f"/api/v1/public/{slug}").status_code == 409  # its own page: not active yet


def test_email_race_lost_at_commit_is_409_and_writes_nothing(client, app, monkeypatch):
    """The loser of a race passes the email check, then meets the unique constraint."""
    assert client.post("/api/v1/auth/register", json=body()).status_code == 201
    from careops.auth import service

    real, calls = service._email_taken, []

    def not_yet_taken(email):  # the first check ran before the winner committed
        calls.append(email)
        return False if len(calls) == 1 else real(email)

    monkeypatch.setattr(service, "_email_taken", not_yet_taken)
    response = client.post("/api/v1/auth/register", json=body(workspace_name="Racer"))
    assert_error(response, 409, "EMAIL_TAKEN")
    with app.app_context():
        assert count(Workspace) == 1 and count(User) == 1 and count(Resource) == 1 and count(ContactForm) == 1


def test_slug_race_lost_at_insert_still_registers(client, app, monkeypatch):
    """Two registrations computed the same free slug; the loser takes another one."""
    first = client.post("/api/v1/auth/register", json=body()).get_json()
    from careops.workspaces import service as workspaces

    real = workspaces.unique_slug
    calls = []

    def stale_slug(name, **kwargs):
        calls.append(name)
        return "olive-clinic" if len(calls) == 1 else real(name, **kwargs)

    monkeypatch.setattr(workspaces, "unique_slug", stale_slug)
    response = client.post("/api/v1/auth/register", json=body(email="second@example.com"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["workspace"]["slug"] not in ("", first["workspace"]["slug"])
    with app.app_context():
        assert count(Workspace) == 2 and count(Resource) == 2


def _race(app, bodies):
    """POST every body at once from its own thread; return the statuses."""
    barrier = threading.Barrier(len(bodies))
    results = [None] * len(bodies)

    def run(i):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/auth/register", json=bodies[i])
        results[i] = (response.status_code, (response.get_json() or {}).get("error_code"))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_registrations_with_one_email(app):
    results = _race(app, [body(workspace_name=f"Race {i}") for i in range(6)])
    assert sorted(results, key=str) == sorted([(201, None)] + [(409, "EMAIL_TAKEN")] * 5, key=str), results
    with app.app_context():
        assert count(User) == 1 and count(Workspace) == 1


def test_concurrent_registrations_with_one_workspace_name(app):
    results = _race(app, [body(email=f"racer{i}@example.com") for i in range(6)])
    assert results == [(201, None)] * 6, results
    with app.app_context():
        slugs = db.session.scalars(sa.select(Workspace.slug)).all()
        assert len(set(slugs)) == 6
