"""No password, token or secret ever reaches the audit log, for each model that holds one."""

import hashlib
import importlib.util

import pytest
import sqlalchemy as sa

from careops.audit import recorder
from careops.db import Base
from careops.extensions import db
from tests.audit.helpers import dump, entries
from tests.bookings.factories import Bookable
from tests.conftest import PASSWORD, unique
from tests.messaging.fixtures import configure

#: (table, column) of every secret-bearing column the models have today.
SECRET_COLUMNS = [
    ("users", "password_hash"),
    ("invitations", "token_hash"),
    ("booking_manage_tokens", "token_hash"),
    ("workspaces", "calendar_token_hash"),
    ("integrations", "config"),
    ("integrations", "inbound_token"),
    ("integrations", "inbound_token_hash"),
    ("form_access_tokens", "token_hash"),
    ("webhook_endpoints", "secret"),
    ("webhook_endpoints", "previous_secret"),
    ("short_links", "code_hash"),
    ("short_links", "target"),
    ("messages", "body"),
]


def mapped_classes():
    return {m.class_.__table__.name: m.class_ for m in Base.registry.mappers if hasattr(m.class_, "__table__")}


@pytest.mark.parametrize("table, column", SECRET_COLUMNS)
def test_each_secret_column_is_kept_out(app, table, column):
    classes = mapped_classes()
    if table not in classes:
        pytest.skip(f"{table} is not installed")
    cls = classes[table]
    assert column in cls.__table__.c
    assert recorder._secret(cls, column)
    assert column not in recorder._changes(cls, [(column, "old-secret", "new-secret"), ("name", "a", "b")])


def test_every_column_that_looks_secret_is_treated_as_one(app):
    looks_secret = ("password", "secret", "token", "api_key", "credential")
    for cls in mapped_classes().values():
        for column in cls.__table__.c:
            if any(word in column.name for word in looks_secret):
                assert recorder._secret(cls, column.key), (cls.__name__, column.name)


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_a_whole_flow_leaves_no_secret_in_the_log(client, app, owner, providers, make_app):
    secrets = [PASSWORD, "secret-alpha"]
    # An integration with credentials (its config holds the API key, encrypted).
    configure(owner, "sms", "alpha", config={"api_key": "secret-alpha"})
    # An invitation (token) accepted with a password.
    invitation = owner.post(
        "/api/v1/staff/invitations", json={"email": f"{unique('s')}@example.com", "permissions": {"inbox": True}}
    ).get_json()
    secrets.append(invitation["token"])
    accepted = client.post(
        "/api/v1/auth/accept-invitation",
        json={"token": invitation["token"], "full_name": "Sam", "password": "another-long-password"},
    )
    assert accepted.status_code == 201
    secrets.append("another-long-password")
    # A public booking (manage token) and the calendar feed's token.
    bookable = Bookable(app, owner)
    booked = bookable.public_book(client, bookable.start()).get_json()
    secrets.append(booked["manage_token"])
    secrets.append(owner.post("/api/v1/workspace/calendar-token").get_json()["token"])
    # A webhook endpoint's signing secret, when the webhooks domain is installed.
    if importlib.util.find_spec("careops.webhooks") is not None:
        app.config["CAREOPS_WEBHOOKS_ALLOW_PRIVATE"] = True
        response = owner.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["ping"]})
        if response.status_code == 201:
            secrets.append(response.get_json()["secret"])
            rotated = owner.post(f"/api/v1/webhooks/{response.get_json()['id']}/rotate-secret")
            if rotated.status_code == 200:
                secrets.append(rotated.get_json()["secret"])

    text = dump()
    for secret in secrets:
        assert secret not in text and sha(secret) not in text, (
            secret,
            text[max(0, text.find(secret) - 300) : text.find(secret) + 50],
        )
    names = {name for table, name in SECRET_COLUMNS}
    for entry in db.session.scalars(sa.select(recorder.AuditEntry)):
        assert not names & set(entry.changes), (entry.entity_type, entry.changes)
    # The writes themselves are logged: the secrets are left out, not the facts.
    assert entries(owner.workspace_id, entity_type="booking_manage_token", action="create")
    assert entries(owner.workspace_id, entity_type="integration")
    # The calendar token's rotation: an update whose only change is secret.
    assert {} in [e.changes for e in entries(owner.workspace_id, entity_type="workspace", action="update")]
