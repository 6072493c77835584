"""The contact card and a new contact's conversation: filled by the domains above contacts.

Contacts imports none of bookings, the inbox and forms; each registers from its
``receivers.py`` what it adds (:func:`careops.contacts.service.register_card_section`,
:func:`~careops.contacts.service.register_contact_opener`).
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from careops.contacts import service
from careops.extensions import db
from careops.inbox.models import Conversation
from tests.bookings.factories import Bookable


def test_each_card_section_and_the_conversation_come_from_their_domain(app):
    from careops.bookings import service as bookings
    from careops.forms import service as forms
    from careops.inbox import service as inbox

    assert {
        "conversation_id": inbox.conversation_id_of,
        "bookings": bookings.recent_for_contact,
        "forms": forms.contact_forms,
    } == service._CARD_READERS
    assert {"conversation": inbox.open_conversation} == service._OPENERS


def test_the_card_has_no_section_its_schema_does_not_name():
    with pytest.raises(ValueError, match="no section 'notes'"):
        service.register_card_section("notes", lambda workspace_id, contact_id: [])


def test_the_card_lists_the_ten_latest_bookings_latest_first(app, owner):
    bookable = Bookable(app, owner)
    starts = [bookable.start(f"{h:02d}:00", days_ahead=d) for d in (3, 4) for h in range(9, 15)]
    first = bookable.staff_book(owner, starts[0]).get_json()
    for start in starts[1:]:
        body = {"service_id": bookable.service_id, "start": start, "contact_id": first["contact_id"]}
        assert owner.post("/api/v1/bookings", json=body).status_code == 201
    card = owner.get(f"/api/v1/contacts/{first['contact_id']}").get_json()
    shown = [datetime.fromisoformat(b["start"]) for b in card["bookings"]]
    assert shown == [datetime.fromisoformat(s) for s in starts[::-1][:10]]
    assert set(card["bookings"][0]) == {"id", "reference", "service_id", "start", "end", "status"}


def test_a_section_no_domain_fills_is_empty(owner, monkeypatch):
    contact = owner.post("/api/v1/contacts", json={"name": "Ann", "email": "ann@example.com"}).get_json()
    monkeypatch.setattr(service, "_CARD_READERS", {})
    response = owner.get(f"/api/v1/contacts/{contact['id']}")
    assert response.status_code == 200
    card = response.get_json()
    assert (card["conversation_id"], card["bookings"], card["forms"]) == (None, [], [])
    assert {k: card[k] for k in contact} == contact


def test_without_an_opener_a_contact_is_created_without_a_conversation(app, owner, monkeypatch):
    monkeypatch.setattr(service, "_OPENERS", {})
    response = owner.post("/api/v1/contacts", json={"name": "Ann", "email": "ann@example.com"})
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 0
    assert owner.get(f"/api/v1/contacts/{response.get_json()['id']}").get_json()["conversation_id"] is None
