"""The contacts and conversations lists build their items without marshmallow: they must stay what the schemas dump."""

import json

from careops.contacts.models import Contact
from careops.contacts.schemas import ContactSchema, contact_json
from careops.extensions import db
from careops.inbox import service as inbox
from careops.inbox.models import Conversation
from careops.inbox.schemas import ConversationSchema, conversation_json


def make_contacts(owner):
    made = [
        owner.post("/api/v1/contacts", json=body).get_json()
        for body in (
            {"name": "Ada", "email": "ada@example.com", "tags": ["vip", "knee"]},
            {"name": "Bo", "phone": "+14155550100"},
        )
    ]
    assert all("id" in c for c in made), made
    return made


def test_contacts_list_items_are_the_schema_dump(app, owner):
    make_contacts(owner)
    response = owner.get("/api/v1/contacts?page_size=1")
    assert json.loads(response.headers["X-Pagination"])["total"] == 2  # pagination still set
    listed = owner.get("/api/v1/contacts").get_json()
    assert len(listed) == 2
    with app.app_context():
        for item in listed:
            contact = db.session.get(Contact, item["id"])
            assert contact_json(contact) == ContactSchema().dump(contact) == item


def test_conversations_list_items_are_the_schema_dump(app, owner):
    make_contacts(owner)
    listed = owner.get("/api/v1/conversations").get_json()
    assert len(listed) == 2
    with app.app_context():
        for item in listed:
            summary = inbox.summary(db.session.get(Conversation, item["id"]))
            assert conversation_json(summary) == ConversationSchema().dump(summary) == item
    # A conversation with a message: the time goes out as the schema writes it.
    with app.app_context():
        conversation = db.session.get(Conversation, listed[0]["id"])
        from careops.db import utcnow

        conversation.last_message_at, conversation.last_message_preview = utcnow(), "Hello"
        summary = inbox.summary(conversation)
        assert conversation_json(summary) == ConversationSchema().dump(summary)
        db.session.rollback()
