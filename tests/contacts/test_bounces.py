"""A hard bounce marks the contact's email undeliverable: only the address that bounced, only the workspace's."""

from __future__ import annotations

import pytest

from careops.contacts.service import mark_email_undeliverable
from careops.errors import NotFound
from careops.extensions import db


def contact_of(actor, email: str) -> dict:
    response = actor.post("/api/v1/contacts", json={"name": "Ann Lee", "email": email})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def undeliverable(actor, contact_id: str) -> bool:
    return actor.get(f"/api/v1/contacts/{contact_id}").get_json()["email_undeliverable"]


def test_the_bounced_address_is_marked(app, owner):
    contact = contact_of(owner, "ann@example.com")
    with app.app_context():
        # Providers may report the address in another case.
        assert mark_email_undeliverable(owner.workspace_id, contact["id"], "Ann@Example.com") is True
        db.session.commit()
    assert undeliverable(owner, contact["id"]) is True


def test_a_bounce_of_an_older_address_leaves_the_contact_reachable(app, owner):
    contact = contact_of(owner, "new@example.com")
    with app.app_context():
        assert mark_email_undeliverable(owner.workspace_id, contact["id"], "old@example.com") is False
        assert mark_email_undeliverable(owner.workspace_id, contact["id"], None) is False
        db.session.commit()
    assert undeliverable(owner, contact["id"]) is False


def test_another_workspaces_contact_is_not_found(app, owner, other_owner):
    contact = contact_of(other_owner, "ann@example.com")
    with app.app_context(), pytest.raises(NotFound):
        mark_email_undeliverable(owner.workspace_id, contact["id"], "ann@example.com")
    assert undeliverable(other_owner, contact["id"]) is False
