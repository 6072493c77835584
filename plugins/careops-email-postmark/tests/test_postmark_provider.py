"""The postmark provider against a fake Postmark: sending, error classes, failover, webhooks and bounces."""

import base64
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from fake_postmark import FROM_EMAIL, SERVER_TOKEN, WEBHOOK_PASSWORD

from careops.contacts.models import Contact
from careops.extensions import db
from careops.inbox import delivery
from careops.inbox.models import Message
from careops.inbox.sending import send_to_contact
from careops.tasks import huey
from tests.conftest import assert_error
from tests.messaging.fixtures import configure, messages

EMAIL = "dora@example.com"


def postmark_config(fake, **extra):
    return {
        "server_token": SERVER_TOKEN,
        "from_email": FROM_EMAIL,
        "api_base_url": fake.url,
        "webhook_password": WEBHOOK_PASSWORD,
        **extra,
    }


@pytest.fixture
def postmark(owner, fake_postmark):
    configure(owner, "email", "postmark", config=postmark_config(fake_postmark), priority=10)
    return owner


@contextmanager
def tasks_held():
    enqueue = huey.enqueue
    huey.enqueue = lambda task: None
    try:
        yield
    finally:
        huey.enqueue = enqueue


def contact(actor, email=EMAIL, **extra):
    response = actor.post("/api/v1/contacts", json={"name": "Dora", "email": email, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def queue(actor, contact_id, *, author="system", attachments=()) -> str:
    with tasks_held():
        message_id = send_to_contact(
            actor.workspace_id,
            contact_id,
            channel="email",
            subject="Your visit",
            body="See you on Monday.",
            author=author,
            attachments=attachments,
        ).id
        db.session.commit()
    return message_id


def message(message_id) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


def webhook_url(actor, key="email") -> str:
    return next(i for i in actor.get("/api/v1/integrations").get_json() if i["key"] == key)["inbound_url"]


# -- configuration ---------------------------------------------------------------------------------------


def test_the_config_needs_webhook_credentials_and_hides_secrets(owner, fake_postmark):
    response = owner.put(
        "/api/v1/integrations/email",
        json={
            "provider": "postmark",
            "enabled": True,
            "priority": 10,
            "config": {"server_token": SERVER_TOKEN, "from_email": "not an email", "api_base_url": fake_postmark.url},
        },
    )
    errors = assert_error(response, 422)["errors"]["config"]
    assert set(errors) >= {"from_email", "webhook_password"}
    configured = configure(owner, "email", "postmark", config=postmark_config(fake_postmark))
    assert SERVER_TOKEN not in str(configured) and WEBHOOK_PASSWORD not in str(configured)
    assert set(configured["secrets_set"]) == {"server_token", "webhook_password"}
    assert configured["config"]["message_stream"] == "outbound"


# -- sending ---------------------------------------------------------------------------------------------


def test_an_email_is_sent_with_the_token_metadata_and_attachments(postmark, fake_postmark):
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    message_id = queue(postmark, contact(postmark)["id"], attachments=[("BK-7F3K9Q.ics", ics, "text/calendar")])
    assert delivery.deliver(message_id).status == "sent"
    [request] = fake_postmark.requests
    assert request["path"] == "/email" and request["token"] == SERVER_TOKEN
    assert request["accept"] == "application/json" and request["content_type"] == "application/json"
    body = request["json"]
    assert body["To"] == EMAIL and body["Subject"] == "Your visit" and body["TextBody"] == "See you on Monday."
    assert body["From"].endswith(f"<{FROM_EMAIL}>") and body["MessageStream"] == "outbound"
    assert body["Metadata"] == {"careops_message_id": message_id}
    assert {"Name": "X-CareOps-Message-ID", "Value": message_id} in body["Headers"]
    [attachment] = body["Attachments"]
    assert attachment["Name"] == "BK-7F3K9Q.ics" and attachment["ContentType"] == "text/calendar"
    assert base64.b64decode(attachment["Content"]) == ics
    sent = message(message_id)
    assert (sent.status, sent.provider, sent.provider_message_id) == ("sent", "postmark", request["message_id"])


def test_a_retry_carries_the_same_message_id(postmark, fake_postmark):
    fake_postmark.down = True
    message_id = queue(postmark, contact(postmark)["id"])
    assert delivery.deliver(message_id).status == "retry"
    fake_postmark.down = False
    db.session.execute(Message.__table__.update().where(Message.id == message_id).values(next_attempt_at=None))
    db.session.commit()
    assert delivery.deliver(message_id).status == "sent"
    first, second = fake_postmark.requests
    assert second["json"]["Metadata"] == {"careops_message_id": message_id}
    assert "json" not in first or first["json"]["Metadata"] == second["json"]["Metadata"]


@pytest.mark.parametrize("case, code", [("inactive", "ErrorCode 406"), ("token", "ErrorCode 10")])
def test_postmark_refusals_are_permanent(owner, fake_postmark, case, code):
    config = postmark_config(fake_postmark, **({"server_token": "wrong-token-123"} if case == "token" else {}))
    configure(owner, "email", "postmark", config=config)
    address = "inactive-recipient@example.com" if case == "inactive" else EMAIL
    message_id = queue(owner, contact(owner, email=address)["id"])
    assert delivery.deliver(message_id).status == "failed"
    failed = message(message_id)
    assert failed.status == "failed" and code in failed.error and failed.attempts == 1


@pytest.mark.parametrize("trouble", ["down", "rate_limited", "slow"])
def test_postmark_trouble_is_retried(owner, fake_postmark, trouble):
    configure(owner, "email", "postmark", config=postmark_config(fake_postmark, timeout_seconds=0.3))
    if trouble == "slow":
        fake_postmark.delay = 1.0
    else:
        setattr(fake_postmark, trouble, True)
    message_id = queue(owner, contact(owner)["id"])
    assert delivery.deliver(message_id).status == "retry"
    waiting = message(message_id)
    assert waiting.status == "queued"
    assert {"down": "503", "rate_limited": "429", "slow": "did not answer in time"}[trouble] in waiting.error


def test_a_postmark_outage_fails_over_to_the_second_email_provider(postmark, fake_postmark):
    configure(postmark, "email-backup", "console", priority=20)
    fake_postmark.down = True
    message_id = queue(postmark, contact(postmark)["id"])
    assert delivery.deliver(message_id).status == "sent"
    sent = message(message_id)
    assert sent.provider == "console" and len(fake_postmark.requests) == 1
    listed = {i["key"]: i for i in postmark.get("/api/v1/integrations").get_json()}
    assert "503" in listed["email"]["last_error"]  # one failure is not an outage: the breaker decides
    fake_postmark.down = False
    second = queue(postmark, contact(postmark, email="eve@example.com")["id"])
    assert delivery.deliver(second).status == "sent" and message(second).provider == "postmark"


# -- webhooks --------------------------------------------------------------------------------------------


def sent_message(actor, fake, email=EMAIL):
    message_id = queue(actor, contact(actor, email=email)["id"], author="automation:booking_confirmation")
    assert delivery.deliver(message_id).status == "sent"
    return message_id, fake.requests[-1]["message_id"]


def record(kind, postmark_id, message_id, email=EMAIL, **extra):
    return {
        "RecordType": kind,
        "MessageID": postmark_id,
        "Recipient": email,
        "Email": email,
        "Metadata": {"careops_message_id": message_id},
        "MessageStream": "outbound",
        "ServerID": 23,
        **extra,
    }


def test_a_delivery_webhook_marks_the_message_delivered(client, postmark, fake_postmark):
    message_id, postmark_id = sent_message(postmark, fake_postmark)
    response = fake_postmark.webhook(
        client,
        webhook_url(postmark),
        record("Delivery", postmark_id, message_id, DeliveredAt="2026-11-29T02:01:00Z", Details="Test delivery"),
    )
    assert response.status_code == 200, response.get_json()
    assert message(message_id).status == "delivered"


def test_a_hard_bounce_fails_the_message_and_marks_the_contact(client, postmark, fake_postmark):
    message_id, postmark_id = sent_message(postmark, fake_postmark)
    response = fake_postmark.webhook(
        client,
        webhook_url(postmark),
        record(
            "Bounce",
            postmark_id,
            message_id,
            ID=4323372036854775807,
            Type="HardBounce",
            TypeCode=1,
            Name="Hard bounce",
            Description="The server was unable to deliver your message (ex: unknown user).",
            Inactive=True,
            CanActivate=True,
        ),
    )
    assert response.status_code == 200
    failed = message(message_id)
    assert failed.status == "failed" and "Hard bounce" in failed.error
    dora = db.session.scalars(sa.select(Contact).where(Contact.email == EMAIL)).one()
    shown = postmark.get(f"/api/v1/contacts/{dora.id}").get_json()
    assert shown["email_undeliverable"] is True
    # Automation stops emailing the address; a message from staff fails with the reason.
    with tasks_held():
        assert (
            send_to_contact(
                postmark.workspace_id,
                dora.id,
                channel="email",
                body="Reminder",
                author="automation:booking_reminder",
                automation_key="booking_reminder:x",
            )
            is None
        )
        staff = send_to_contact(postmark.workspace_id, dora.id, body="Hello?", author="system")
        db.session.commit()
    assert staff.status == "failed" and "undeliverable" in staff.error
    # A new address has not bounced.
    assert (
        postmark.patch(f"/api/v1/contacts/{dora.id}", json={"email": "dora@new.example"}).get_json()[
            "email_undeliverable"
        ]
        is False
    )


def test_a_soft_bounce_fails_the_message_only(client, postmark, fake_postmark):
    message_id, postmark_id = sent_message(postmark, fake_postmark)
    fake_postmark.webhook(
        client,
        webhook_url(postmark),
        record("Bounce", postmark_id, message_id, Type="SoftBounce", Name="Soft bounce", Inactive=False),
    )
    assert message(message_id).status == "failed"
    db.session.expire_all()
    assert db.session.scalars(sa.select(Contact).where(Contact.email == EMAIL)).one().email_undeliverable is False


def test_a_transient_delay_changes_nothing(client, postmark, fake_postmark):
    message_id, postmark_id = sent_message(postmark, fake_postmark)
    response = fake_postmark.webhook(
        client,
        webhook_url(postmark),
        record("Bounce", postmark_id, message_id, Type="Transient", Name="Message delayed"),
    )
    assert response.status_code == 200 and message(message_id).status == "sent"


INBOUND = {
    "FromName": "Dora Dee",
    "From": "Dora@Example.com",
    "FromFull": {"Email": "Dora@Example.com", "Name": "Dora Dee"},
    "To": "inbound@clinic.example",
    "Subject": "Re: Your visit",
    "MessageID": "a8c1040e-db1c-4e18-ac79",
    "TextBody": "Can we move it to Tuesday?\n\nOn Monday… wrote:\n> See you on Monday.",
    "StrippedTextReply": "Can we move it to Tuesday?",
    "MessageStream": "inbound",
    "Attachments": [],
}


def test_an_inbound_reply_is_appended_to_the_conversation(client, postmark, fake_postmark):
    dora = contact(postmark)
    response = fake_postmark.webhook(client, webhook_url(postmark), INBOUND)
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    [conversation] = postmark.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["id"] == dora["id"] and conversation["unanswered"] is True
    [received] = messages(postmark.workspace_id, direction="in")
    assert (received.channel, received.subject, received.body) == (
        "email",
        "Re: Your visit",
        "Can we move it to Tuesday?",
    )
    fake_postmark.webhook(client, webhook_url(postmark), INBOUND)  # Postmark retried
    assert len(messages(postmark.workspace_id, direction="in")) == 1


@pytest.mark.parametrize("case", ["no credentials", "wrong password", "wrong user", "wrong token", "no token"])
def test_unauthenticated_webhooks_are_401_and_stored_nowhere(client, postmark, fake_postmark, case):
    url = webhook_url(postmark)
    if case == "no credentials":
        response = fake_postmark.webhook(client, url, INBOUND, user=None)
    elif case == "wrong password":
        response = fake_postmark.webhook(client, url, INBOUND, password="guess-guess-guess-guess")
    elif case == "wrong user":
        response = fake_postmark.webhook(client, url, INBOUND, user="admin")
    elif case == "wrong token":
        response = fake_postmark.webhook(client, url.split("?")[0] + "?token=forged-token", INBOUND)
    else:
        response = fake_postmark.webhook(client, url.split("?")[0], INBOUND)
    assert_error(response, 401)
    assert messages(postmark.workspace_id) == [] and postmark.get("/api/v1/contacts").get_json() == []


def test_another_workspaces_credentials_do_not_open_this_url(client, postmark, other_owner, fake_postmark):
    configure(
        other_owner,
        "email",
        "postmark",
        config=postmark_config(fake_postmark, webhook_password="other-workspace-password-99"),
    )
    response = fake_postmark.webhook(client, webhook_url(other_owner), INBOUND)  # this workspace's password
    assert_error(response, 401)
    assert messages(other_owner.workspace_id) == []
