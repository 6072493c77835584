"""Every write is logged in its own transaction: through the API, public endpoints, the worker, plugins."""

import pytest
import sqlalchemy as sa

from careops.audit.context import acting_as, current_actor
from careops.extensions import db
from tests.audit.helpers import entries
from tests.bookings.factories import Bookable


def test_an_api_write_names_the_user_the_address_and_the_request(owner):
    response = owner.post(
        "/api/v1/services", json={"name": "Massage", "duration_minutes": 45}, headers={"X-Request-ID": "req-audit-1"}
    )
    assert response.status_code == 201
    service_id = response.get_json()["id"]
    [created] = entries(owner.workspace_id, entity_type="service", entity_id=service_id)
    assert created.action == "create" and created.request_id == "req-audit-1" and created.ip == "127.0.0.1"
    assert created.actor == {"type": "user", "id": owner.user["id"], "email": owner.user["email"]}
    assert created.changes["name"] == [None, "Massage"] and created.changes["duration_minutes"] == [None, 45]

    assert owner.patch(f"/api/v1/services/{service_id}", json={"duration_minutes": 60}).status_code == 200
    [_, updated] = entries(owner.workspace_id, entity_type="service", entity_id=service_id)
    assert updated.action == "update" and updated.changes == {"duration_minutes": [45, 60]}


def test_registration_is_the_new_users_doing(owner):
    [user] = entries(owner.workspace_id, entity_type="user", action="create")
    assert user.actor["type"] == "user" and user.actor["id"] == owner.user["id"]
    assert entries(owner.workspace_id, entity_type="workspace", action="create")


def test_a_status_change_by_bulk_update_is_logged(client, app, owner):
    bookable = Bookable(app, owner)
    booking = bookable.staff_book(owner, bookable.start()).get_json()
    response = owner.post(f"/api/v1/bookings/{booking['id']}/status", json={"status": "cancelled"})
    assert response.status_code == 200
    logged = entries(owner.workspace_id, entity_type="booking", entity_id=booking["id"])
    assert [e.action for e in logged] == ["create", "update"]
    assert logged[1].changes == {"status": ["confirmed", "cancelled"]}
    assert logged[1].actor["id"] == owner.user["id"]


def test_a_public_booking_is_the_customers(client, app, owner):
    bookable = Bookable(app, owner)
    response = bookable.public_book(client, bookable.start())
    assert response.status_code == 201
    [booking] = entries(owner.workspace_id, entity_type="booking")
    [contact] = entries(owner.workspace_id, entity_type="contact")
    assert booking.actor == {"type": "customer", "id": None} and contact.actor["type"] == "customer"
    assert booking.changes["source"] == [None, "public"] and booking.changes["status"] == [None, "confirmed"]


def test_the_worker_is_the_system(client, app, owner):
    bookable = Bookable(app, owner)
    bookable.public_book(client, bookable.start())
    sent = [
        e
        for e in entries(owner.workspace_id, entity_type="message", action="update")
        if e.changes.get("status") == ["queued", "sent"]
    ]
    assert sent, "the confirmation's send is logged"
    assert sent[0].actor == {"type": "system", "id": "careops.inbox.tasks.send_message"}


def test_a_plugin_names_itself(owner):
    from careops.contacts.models import Contact

    with acting_as("plugin", "careops-forms-clinic"):
        db.session.add(Contact(workspace_id=owner.workspace_id, name="From a plugin", source="plugin"))
        db.session.commit()
    [entry] = entries(owner.workspace_id, entity_type="contact")
    assert entry.actor == {"type": "plugin", "id": "careops-forms-clinic"}


def test_a_plugin_blueprint_is_the_plugin(app):
    with app.test_request_context("/api/v1/plugins/careops-forecast/run", method="POST"):
        assert current_actor()["type"] == "plugin" and current_actor()["id"] == "careops-forecast"
    with app.test_request_context("/api/v1/public/clinic/bookings", method="POST"):
        assert current_actor()["type"] == "customer"


def test_a_rolled_back_write_leaves_no_entry(owner):
    from careops.contacts.models import Contact

    before = len(entries(owner.workspace_id))
    db.session.add(Contact(workspace_id=owner.workspace_id, name="Never", source="staff"))
    db.session.flush()
    db.session.rollback()
    assert len(entries(owner.workspace_id)) == before


def test_a_delete_is_logged_with_the_old_values(owner):
    response = owner.post("/api/v1/resources", json={"name": "Room 2", "capacity": 2})
    resource_id = response.get_json()["id"]
    assert owner.delete(f"/api/v1/resources/{resource_id}").status_code == 204
    logged = entries(owner.workspace_id, entity_type="resource", entity_id=resource_id)
    assert [e.action for e in logged] == ["create", "delete"]
    assert logged[1].changes["name"] == ["Room 2", None]


def test_one_audit_insert_per_flush(client, app, owner):
    bookable = Bookable(app, owner)
    statements = []

    def watch(_conn, _cursor, statement, *_):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", watch)
    try:
        assert bookable.staff_book(owner, bookable.start(), email="new@example.com").status_code == 201
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", watch)
    audit_inserts = [s for s in statements if s.startswith("INSERT INTO audit_log")]
    logged = {e.entity_type for e in entries(owner.workspace_id)}
    assert {"booking", "contact", "conversation"} <= logged
    flushes = sum(1 for s in statements if s.startswith(("INSERT INTO bookings", "INSERT INTO contacts")))
    assert 1 <= len(audit_inserts) <= flushes + 4  # batched: not one per row


@pytest.mark.parametrize("attempt", ["orm_update", "orm_delete", "bulk_update", "bulk_delete"])
def test_the_log_is_append_only(owner, attempt):
    from careops.audit.models import AuditEntry
    from careops.audit.recorder import AppendOnly

    entry = entries(owner.workspace_id)[0]
    with pytest.raises(AppendOnly):  # noqa: PT012 -- one write per parametrized attempt
        if attempt == "orm_update":
            entry.action = "delete"
            db.session.flush()
        elif attempt == "orm_delete":
            db.session.delete(entry)
            db.session.flush()
        elif attempt == "bulk_update":
            db.session.execute(sa.update(AuditEntry).values(action="delete"))
        else:
            db.session.execute(sa.delete(AuditEntry))
    db.session.rollback()
    assert entries(owner.workspace_id)[0].action == "create"


def test_orm_bulk_statements_by_parameters_are_logged(owner):
    from careops.contacts.models import Contact
    from careops.db import new_id

    first, second = new_id(), new_id()
    db.session.execute(
        sa.insert(Contact),
        [
            {"id": first, "workspace_id": owner.workspace_id, "name": "Bulk A", "source": "staff"},
            {"id": second, "workspace_id": owner.workspace_id, "name": "Bulk B", "source": "staff"},
        ],
    )
    db.session.execute(sa.update(Contact), [{"id": first, "name": "Bulk A2"}])
    db.session.commit()
    logged = entries(owner.workspace_id, entity_type="contact")
    assert sorted((e.entity_id, e.action) for e in logged) == sorted(
        [(first, "create"), (second, "create"), (first, "update")]
    )
    [update] = [e for e in logged if e.action == "update"]
    assert update.changes == {"name": [None, "Bulk A2"]}
