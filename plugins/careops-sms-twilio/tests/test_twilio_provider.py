"""The twilio provider against a fake Twilio: sending, each error class, signed status callbacks and inbound SMS."""

from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from twilio.request_validator import RequestValidator

from careops.contacts.models import Contact
from careops.extensions import db
from careops.inbox import delivery
from careops.inbox.models import Message
from careops.inbox.sending import send_to_contact
from careops.tasks import huey
from tests.conftest import assert_error
from tests.messaging.fixtures import configure, messages

PHONE = "+14155552671"


def twilio_config(fake, **extra):
    return {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": FROM_NUMBER,
        "api_base_url": fake.url,
        **extra,
    }


@pytest.fixture
def sms(owner, fake_twilio):
    """The owner's workspace sends SMS through the fake Twilio."""
    configure(owner, "sms", "twilio", config=twilio_config(fake_twilio))
    return owner


def inbound_url(actor, key="sms") -> str:
    return next(i for i in actor.get("/api/v1/integrations").get_json() if i["key"] == key)["inbound_url"]


@contextmanager
def tasks_held():
    enqueue = huey.enqueue
    huey.enqueue = lambda task: None
    try:
        yield
    finally:
        huey.enqueue = enqueue


def contact(actor, phone=PHONE, **extra):
    response = actor.post("/api/v1/contacts", json={"name": "Pat Phone", "phone": phone, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def queue(actor, contact_id, body="Your table is ready") -> str:
    with tasks_held():
        message_id = send_to_contact(actor.workspace_id, contact_id, channel="sms", body=body, author="system").id
        db.session.commit()
    return message_id


def message(message_id) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


# -- configuration ---------------------------------------------------------------------------------------


def test_the_config_is_validated_and_the_token_never_returned(owner, fake_twilio):
    response = owner.put(
        "/api/v1/integrations/sms",
        json={
            "provider": "twilio",
            "enabled": True,
            "priority": 10,
            "config": {"account_sid": "nope", "auth_token": AUTH_TOKEN, "api_base_url": fake_twilio.url},
        },
    )
    errors = assert_error(response, 422)["errors"]["config"]
    assert "account_sid" in errors and "from_number" in errors
    configured = configure(owner, "sms", "twilio", config=twilio_config(fake_twilio))
    assert configured["kind"] == "sms" and AUTH_TOKEN not in str(configured)
    assert "auth_token" in configured["secrets_set"]
    providers = owner.get("/api/v1/integrations/providers").get_json()
    assert "twilio" in str(providers)


def test_the_test_endpoint_sends_through_twilio(sms, fake_twilio):
    response = sms.post("/api/v1/integrations/sms/test", json={"to": PHONE})
    assert response.status_code == 200 and response.get_json()["ok"] is True, response.get_json()
    [form] = fake_twilio.sent()
    assert form["To"] == PHONE and form["From"] == FROM_NUMBER


# -- sending ---------------------------------------------------------------------------------------------


def test_a_message_is_sent_form_encoded_with_basic_auth_and_a_status_callback(sms, fake_twilio):
    message_id = queue(sms, contact(sms)["id"])
    assert delivery.deliver(message_id).status == "sent"
    [request] = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert request["auth"].startswith("Basic ")
    form = request["form"]
    assert (form["To"], form["From"], form["Body"]) == (PHONE, FROM_NUMBER, "Your table is ready")
    callback = urlparse(form["StatusCallback"])
    assert form["StatusCallback"].startswith(inbound_url(sms))
    assert parse_qs(callback.query)["message"] == [message_id]
    sent = message(message_id)
    assert (sent.status, sent.provider, sent.provider_message_id) == ("sent", "twilio", request["sid"])


def test_a_messaging_service_replaces_the_from_number(owner, fake_twilio):
    service_sid = "MG" + "ab" * 16
    configure(
        owner, "sms", "twilio", config=twilio_config(fake_twilio, from_number=None, messaging_service_sid=service_sid)
    )
    message_id = queue(owner, contact(owner)["id"])
    assert delivery.deliver(message_id).status == "sent"
    [form] = fake_twilio.sent()
    assert form["MessagingServiceSid"] == service_sid and "From" not in form


@pytest.mark.parametrize(
    "to, code",
    [("+15005550001", "21211"), ("+15005550002", "21612"), ("+15005550009", "21614"), ("+15005550004", "21610")],
)
def test_a_refused_recipient_fails_at_once(sms, fake_twilio, to, code):
    message_id = queue(sms, contact(sms, phone=to)["id"])
    assert delivery.deliver(message_id).status == "failed"
    failed = message(message_id)
    assert failed.status == "failed" and f"Twilio error {code}" in failed.error and failed.attempts == 1


def test_wrong_credentials_are_permanent(owner, fake_twilio):
    configure(owner, "sms", "twilio", config=twilio_config(fake_twilio, auth_token="not-the-right-token"))
    message_id = queue(owner, contact(owner)["id"])
    assert delivery.deliver(message_id).status == "failed"
    assert "20003" in message(message_id).error


@pytest.mark.parametrize("trouble", ["down", "rate_limited", "slow"])
def test_twilio_trouble_is_retried_later(owner, fake_twilio, trouble):
    configure(owner, "sms", "twilio", config=twilio_config(fake_twilio, timeout_seconds=0.3))
    if trouble == "slow":
        fake_twilio.delay = 1.0
    else:
        setattr(fake_twilio, trouble, True)
    message_id = queue(owner, contact(owner)["id"])
    result = delivery.deliver(message_id)
    assert result.status == "retry" and result.retry_in > 0
    waiting = message(message_id)
    assert waiting.status == "queued" and waiting.error
    assert {"down": "20503", "rate_limited": "20429", "slow": "did not answer in time"}[trouble] in waiting.error


# -- status callbacks ------------------------------------------------------------------------------------


def sent_message(actor, fake):
    message_id = queue(actor, contact(actor)["id"])
    assert delivery.deliver(message_id).status == "sent"
    form = fake.requests[-1]["form"]
    return message_id, fake.requests[-1]["sid"], form["StatusCallback"]


def test_a_signed_delivered_callback_marks_the_message_delivered(client, sms, fake_twilio):
    message_id, sid, callback = sent_message(sms, fake_twilio)
    for status in ("sent", "delivered"):
        response = fake_twilio.webhook(
            client, callback, {"MessageSid": sid, "MessageStatus": status, "To": PHONE, "From": FROM_NUMBER}
        )
        assert response.status_code == 200, response.get_json()
    delivered = message(message_id)
    assert delivered.status == "delivered" and delivered.delivered_at is not None
    conversation = sms.get(f"/api/v1/conversations/{delivered.conversation_id}").get_json()
    assert conversation["messages"][-1]["status"] == "delivered"


def test_an_undelivered_callback_fails_the_message_with_the_error_code(client, sms, fake_twilio):
    message_id, sid, callback = sent_message(sms, fake_twilio)
    response = fake_twilio.webhook(
        client, callback, {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    assert response.status_code == 200
    failed = message(message_id)
    assert failed.status == "failed" and "30003" in failed.error and "unreachable" in failed.error
    alerts = sms.get("/api/v1/alerts?status=open").get_json()
    assert [a["kind"] for a in alerts] == ["delivery_failed"]


def test_the_callback_finds_its_message_before_the_sid_is_stored(client, sms, fake_twilio):
    """Twilio can call back before the worker wrote the SID: CareOps's id in the URL finds the message."""
    message_id, sid, callback = sent_message(sms, fake_twilio)
    db.session.execute(sa.update(Message).where(Message.id == message_id).values(provider_message_id=None))
    db.session.commit()
    fake_twilio.webhook(client, callback, {"MessageSid": sid, "MessageStatus": "delivered"})
    assert message(message_id).status == "delivered"


def test_a_callback_cannot_touch_another_workspaces_message(client, sms, other_owner, fake_twilio):
    """A validly signed callback of one workspace naming another workspace's message id changes nothing."""
    configure(other_owner, "sms", "twilio", config=twilio_config(fake_twilio))
    theirs, their_sid, _ = sent_message(other_owner, fake_twilio)
    _, _, callback = sent_message(sms, fake_twilio)
    forged = callback.split("&message=")[0] + f"&message={theirs}"
    response = fake_twilio.webhook(
        client, forged, {"MessageSid": their_sid, "MessageStatus": "failed", "ErrorCode": "30003"}
    )
    assert response.status_code == 200
    assert message(theirs).status == "sent"


@pytest.mark.parametrize("case", ["no signature", "wrong token", "tampered", "another account", "other url"])
def test_unverified_callbacks_are_401_and_change_nothing(client, sms, fake_twilio, case):
    message_id, sid, callback = sent_message(sms, fake_twilio)
    params = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30005"}
    if case == "no signature":
        response = client.post(callback.split("careops.test", 1)[1], data={"AccountSid": ACCOUNT_SID, **params})
    elif case == "wrong token":
        response = fake_twilio.webhook(client, callback, params, token="guessed-token-123")
    elif case == "tampered":
        signature = fake_twilio.signature(callback, {"AccountSid": ACCOUNT_SID, **params, "ErrorCode": "1"})
        response = fake_twilio.webhook(client, callback, params, signature=signature)
    elif case == "another account":
        response = fake_twilio.webhook(client, callback, {**params, "AccountSid": "AC" + "f" * 32})
    else:  # signed for another URL (a replay against this integration)
        signature = fake_twilio.signature("http://evil.test/hook", {"AccountSid": ACCOUNT_SID, **params})
        response = fake_twilio.webhook(client, callback, params, signature=signature)
    assert_error(response, 401)
    assert message(message_id).status == "sent"


# -- inbound SMS -----------------------------------------------------------------------------------------


def inbound(client, actor, fake, body, sender=PHONE, sid="SM" + "1" * 32, **extra):
    return fake.webhook(
        client,
        inbound_url(actor),
        {"MessageSid": sid, "SmsSid": sid, "From": sender, "To": FROM_NUMBER, "Body": body, "NumMedia": "0", **extra},
    )


def test_an_inbound_sms_lands_in_the_known_contacts_conversation(client, sms, fake_twilio):
    pat = contact(sms)
    response = inbound(client, sms, fake_twilio, "Running 10 min late")
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    [conversation] = sms.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["id"] == pat["id"] and conversation["unanswered"] is True
    [received] = messages(sms.workspace_id, direction="in")
    assert (received.channel, received.body, received.provider) == ("sms", "Running 10 min late", "twilio")
    assert inbound(client, sms, fake_twilio, "Running 10 min late").status_code == 200  # Twilio retried
    assert len(messages(sms.workspace_id, direction="in")) == 1


def test_an_inbound_sms_from_a_stranger_creates_the_contact(client, sms, fake_twilio):
    inbound(client, sms, fake_twilio, "Do you have a slot tomorrow?", sender="+442071838750")
    [conversation] = sms.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["phone"] == "+442071838750"


def test_an_unsigned_inbound_sms_is_401_and_stored_nowhere(client, sms, fake_twilio):
    url = inbound_url(sms)
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "2" * 32, "From": PHONE, "Body": "hi"}
    response = client.post(
        url.split("careops.test", 1)[1],
        data=params,
        headers={"X-Twilio-Signature": RequestValidator("wrong-token-xyz").compute_signature(url, params)},
    )
    assert_error(response, 401)
    assert messages(sms.workspace_id) == [] and sms.get("/api/v1/contacts").get_json() == []


def test_another_workspaces_token_cannot_post_here(client, sms, other_owner, fake_twilio):
    """The URL's token names the integration; a signature made with another workspace's token fails."""
    configure(other_owner, "sms", "twilio", config=twilio_config(fake_twilio, auth_token="another-token-456"))
    response = inbound(client, other_owner, fake_twilio, "hello")  # signed with this workspace's token
    assert_error(response, 401)
    assert messages(other_owner.workspace_id) == []


def test_stop_opts_the_contact_out_and_start_back_in(client, sms, fake_twilio):
    pat = contact(sms)
    inbound(client, sms, fake_twilio, " Stop ", sid="SM" + "3" * 32)
    shown = sms.get(f"/api/v1/contacts/{pat['id']}").get_json()
    assert shown["sms_opted_out"] is True
    with tasks_held():
        assert (
            send_to_contact(
                sms.workspace_id, pat["id"], channel="sms", body="Reminder", author="automation:x", automation_key="x:1"
            )
            is None
        )  # no automated SMS to an opted-out contact
        staff = send_to_contact(sms.workspace_id, pat["id"], channel="sms", body="Hi", author="system")
        db.session.commit()
    assert staff.status == "failed" and "opted out" in staff.error
    inbound(client, sms, fake_twilio, "START", sid="SM" + "4" * 32)
    assert sms.get(f"/api/v1/contacts/{pat['id']}").get_json()["sms_opted_out"] is False


def test_twilio_opt_out_type_is_honoured(client, sms, fake_twilio):
    pat = contact(sms)
    inbound(client, sms, fake_twilio, "arrêt", OptOutType="STOP")
    db.session.expire_all()
    assert db.session.get(Contact, pat["id"]).sms_opted_out is True


def test_a_sentence_containing_stop_is_not_an_opt_out(client, sms, fake_twilio):
    pat = contact(sms)
    inbound(client, sms, fake_twilio, "Please stop by the desk")
    assert sms.get(f"/api/v1/contacts/{pat['id']}").get_json()["sms_opted_out"] is False


# -- end to end: a phone-only booking ----------------------------------------------------------------------


def test_a_phone_only_booking_is_confirmed_by_twilio_and_reaches_delivered(app, client, owner, fake_twilio):
    from careops.messaging import sms as segments
    from tests.bookings.factories import Bookable

    place = Bookable(app, owner)  # email (console) only so far: a phone-only customer is refused
    body = {"service_id": place.service_id, "start": place.start("10:00"), "name": "Pat Phone", "phone": PHONE}
    refused = client.post(f"/api/v1/public/{place.slug}/bookings", json=body)
    assert list(assert_error(refused, 422)["errors"]) == ["email"]

    configure(owner, "sms", "twilio", config=twilio_config(fake_twilio))
    booked = client.post(f"/api/v1/public/{place.slug}/bookings", json=body)
    assert booked.status_code == 201, booked.get_json()
    reference = booked.get_json()["booking"]["reference"]
    [form] = fake_twilio.sent()
    assert form["To"] == PHONE and reference in form["Body"] and "/m/" in form["Body"]
    assert segments.segments(form["Body"]) <= 2
    [confirmation] = messages(owner.workspace_id, author="automation:booking_confirmation")
    assert confirmation.status == "sent" and confirmation.provider == "twilio"

    sid = fake_twilio.requests[-1]["sid"]
    response = fake_twilio.webhook(client, form["StatusCallback"], {"MessageSid": sid, "MessageStatus": "delivered"})
    assert response.status_code == 200
    assert message(confirmation.id).status == "delivered"

    inbound(client, owner, fake_twilio, "Thanks, see you then!")
    [conversation] = owner.get("/api/v1/conversations").get_json()
    detail = owner.get(f"/api/v1/conversations/{conversation['id']}").get_json()
    assert [(m["direction"], m["status"]) for m in detail["messages"]] == [("out", "delivered"), ("in", "delivered")]
