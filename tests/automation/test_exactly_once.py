"""Automated messages go once: duplicate event deliveries, repeated tasks, the sweeps; and never while paused."""

from datetime import timedelta

import sqlalchemy as sa

from careops import events
from careops.db import utcnow
from careops.events import EventReceipt
from careops.extensions import db
from careops.inbox import delivery
from careops.inbox.models import Message
from careops.inbox.tasks import send_message
from tests.messaging.fixtures import configure, held, messages, outbox_events, submit_contact


def welcomes(workspace_id):
    return messages(workspace_id, author="automation:welcome_contact")


def test_the_welcome_goes_once_to_a_new_contact_of_the_form(client, active, providers):
    configure(active, "email", "alpha")
    submit_contact(client, active)
    [welcome] = welcomes(active.workspace_id)
    assert welcome.status == "sent" and welcome.automation_key == f"welcome_contact:{welcome_contact_id(active)}"
    [sent] = providers.to("alpha")
    assert sent.to == "carla@example.com"
    assert sent.subject == f"Thanks for contacting {active.workspace['name']}"
    assert sent.body.startswith("Hi Carla Customer,")
    # The same customer writes again: no second welcome.
    submit_contact(client, active, message="And another thing")
    assert len(welcomes(active.workspace_id)) == 1 and len(providers.to("alpha")) == 1


def welcome_contact_id(actor):
    return actor.get("/api/v1/conversations").get_json()[0]["contact"]["id"]


def test_contacts_created_elsewhere_get_no_welcome(active, console):
    active.post("/api/v1/contacts", json={"name": "Staff-made", "email": "s@example.com"})
    assert welcomes(active.workspace_id) == []


def test_duplicate_event_delivery_sends_nothing_more(client, active, providers):
    configure(active, "email", "alpha")
    submit_contact(client, active)
    [event] = outbox_events(active.workspace_id, "contact_created")
    # Delivered again (a second worker, the sweep)…
    assert events.deliver(event.id) is True
    # …and even with the receipts lost, the automation key holds.
    db.session.execute(sa.delete(EventReceipt).where(EventReceipt.event_id == event.id))
    db.session.execute(sa.update(events.OutboxEvent).where(events.OutboxEvent.id == event.id).values(delivered_at=None))
    db.session.commit()
    assert events.deliver(event.id) is True
    assert len(welcomes(active.workspace_id)) == 1 and len(providers.to("alpha")) == 1


def test_the_send_task_run_twice_sends_once(client, active, providers):
    configure(active, "email", "alpha")
    submit_contact(client, active)
    [welcome] = welcomes(active.workspace_id)
    send_message(welcome.id)
    send_message.call_local(welcome.id)
    assert delivery.deliver(welcome.id).status == "skipped"
    assert len(providers.to("alpha")) == 1


def test_a_claimed_message_is_not_sent_by_a_second_worker(client, active, providers):
    configure(active, "email", "alpha")
    with held(send_message):
        submit_contact(client, active)
    [welcome] = welcomes(active.workspace_id)
    assert welcome.status == "queued"
    now = utcnow()
    # Worker 1 claimed it (and is sending); worker 2 gets the same task meanwhile.
    assert delivery._claim(welcome.id, now) is True
    assert delivery.deliver(welcome.id, now=now + timedelta(seconds=5)).status == "skipped"
    # Worker 1 died: once its lease expires the message is sent, once.
    assert delivery.deliver(welcome.id, now=now + delivery.LEASE + timedelta(seconds=1)).status == "sent"
    assert delivery.deliver(welcome.id, now=now + delivery.LEASE + timedelta(seconds=2)).status == "skipped"
    assert len(providers.to("alpha")) == 1


def test_the_sweep_sends_what_lost_its_task_and_nothing_else(client, active, providers):
    configure(active, "email", "alpha")
    with held(send_message):
        submit_contact(client, active)
        submit_contact(client, active, email="other@example.com", name="Other")
    lost, sent = welcomes(active.workspace_id)
    assert delivery.deliver(sent.id).status == "sent"
    assert delivery.sweep() == 0  # not overdue yet
    assert delivery.sweep(now=utcnow() + timedelta(minutes=3)) == 1
    assert {m.status for m in welcomes(active.workspace_id)} == {"sent"}
    assert delivery.sweep(now=utcnow() + timedelta(minutes=10)) == 0
    assert sorted(m.to for m in providers.to("alpha")) == ["carla@example.com", "other@example.com"]


def test_no_automated_message_while_paused(client, active, console):
    contact = active.post("/api/v1/contacts", json={"name": "Gus", "email": "gus@example.com"}).get_json()
    conversation_id = active.get(f"/api/v1/contacts/{contact['id']}").get_json()["conversation_id"]
    active.post(f"/api/v1/conversations/{conversation_id}/automation", json={"paused": True})
    from careops.automation import contact_messages

    assert contact_messages.welcome(active.workspace_id, contact["id"]) is None
    db.session.commit()
    assert messages(active.workspace_id, conversation_id=conversation_id) == []
    # Staff can still write.
    assert active.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "hi"}).status_code == 201
    # Resumed: automation goes again.
    active.post(f"/api/v1/conversations/{conversation_id}/automation", json={"paused": False})
    assert contact_messages.welcome(active.workspace_id, contact["id"]) is not None
    db.session.commit()


def test_paused_after_queuing_is_not_sent(client, active, providers):
    configure(active, "email", "alpha")
    with held(send_message):
        submit_contact(client, active)
    [welcome] = welcomes(active.workspace_id)
    active.post(f"/api/v1/conversations/{welcome.conversation_id}/automation", json={"paused": True})
    assert delivery.deliver(welcome.id).status == "failed"
    db.session.expire_all()
    assert db.session.get(Message, welcome.id).error == delivery.PAUSED
    assert providers.to("alpha") == []
    assert outbox_events(active.workspace_id, "message_failed") == []  # a pause is not a delivery failure


def test_a_disabled_rule_sends_nothing(client, active, console):
    active.patch("/api/v1/automation/rules/welcome_contact", json={"enabled": False})
    submit_contact(client, active)
    assert welcomes(active.workspace_id) == []


def test_an_edited_template_is_used(client, active, providers):
    configure(active, "sms", "alpha")
    active.patch(
        "/api/v1/automation/rules/welcome_contact",
        json={"channel": "sms", "template": "{business} got it, {contact_name} {{ok}}"},
    )
    submit_contact(client, active, email=None, phone="+1 415 555 2671")
    [sent] = providers.to("alpha")
    assert sent.channel == "sms" and sent.to == "+14155552671"
    assert sent.body == f"{active.workspace['name']} got it, Carla Customer {{ok}}"


def test_the_preferred_channel_falls_back_to_what_the_contact_has(client, active, providers):
    configure(active, "email", "alpha")
    configure(active, "sms", "beta")
    active.patch("/api/v1/automation/rules/welcome_contact", json={"channel": "sms"})
    submit_contact(client, active)  # email only
    [welcome] = welcomes(active.workspace_id)
    assert welcome.channel == "email" and providers.to("alpha") and not providers.to("beta")


def test_a_contact_without_any_address_gets_a_failed_message(active, console):
    from careops.automation import contact_messages
    from careops.contacts.models import Contact
    from careops.inbox.models import Conversation

    contact = Contact(workspace_id=active.workspace_id, name="Nobody", source="contact_form")
    db.session.add(contact)
    db.session.flush()
    db.session.add(Conversation(workspace_id=active.workspace_id, contact_id=contact.id))
    message = contact_messages.welcome(active.workspace_id, contact.id)
    db.session.commit()
    assert message.status == "failed" and message.error == "The contact has no email address or phone number"
