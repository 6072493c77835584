"""POST /public/inbound/{provider}?token=…: verified by the provider plugin, routed by the integration's token."""

import json
from urllib.parse import parse_qs, urlparse

import pytest

from careops.default_plugins.console import sign
from tests.conftest import assert_error
from tests.messaging.fixtures import alerts, configure, messages, outbox_events

SECRET = "inbound-shared-secret"


def token_of(actor, key="email"):
    url = [i for i in actor.get("/api/v1/integrations").get_json() if i["key"] == key][0]["inbound_url"]
    return parse_qs(urlparse(url).query)["token"][0]


@pytest.fixture
def inbound(owner):
    configure(owner, "email", "console", config={"inbound_secret": SECRET})
    return token_of(owner)


def post(client, token, payload, *, secret=SECRET, provider="console", signature=None):
    raw = json.dumps(payload).encode()
    return client.post(
        f"/api/v1/public/inbound/{provider}?token={token}",
        data=raw,
        content_type="application/json",
        headers={"X-Console-Signature": signature or sign(secret, raw)},
    )


EMAIL = {
    "channel": "email",
    "from": "Dora@Example.com",
    "name": "Dora",
    "subject": "Parking?",
    "body": "Is there parking nearby?",
    "id": "msg-1",
}


def test_an_email_from_a_new_sender_creates_the_contact(client, owner, inbound):
    response = post(client, inbound, EMAIL)
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    [conversation] = owner.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["email"] == "dora@example.com" and conversation["contact"]["name"] == "Dora"
    [message] = messages(owner.workspace_id)
    assert (message.direction, message.channel, message.author, message.subject, message.body) == (
        "in",
        "email",
        "customer",
        "Parking?",
        "Is there parking nearby?",
    )
    assert message.provider == "console" and message.provider_message_id == "msg-1"
    [created] = outbox_events(owner.workspace_id, "contact_created")
    assert created.payload["source"] == "inbound"
    assert len(outbox_events(owner.workspace_id, "message_received")) == 1


def test_a_known_sender_writes_into_its_conversation(client, owner, inbound):
    contact = owner.post("/api/v1/contacts", json={"name": "Dora D", "email": "dora@example.com"}).get_json()
    post(client, inbound, EMAIL)
    [conversation] = owner.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["id"] == contact["id"] and conversation["unanswered"] is True


def test_an_sms(client, owner):
    configure(owner, "sms", "console", config={"inbound_secret": SECRET})
    response = post(client, token_of(owner, "sms"), {"channel": "sms", "from": "+1 415 555 2671", "body": "Late!"})
    assert response.status_code == 200
    [conversation] = owner.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["phone"] == "+14155552671"


def test_a_retried_webhook_is_stored_once(client, owner, inbound):
    post(client, inbound, EMAIL)
    assert post(client, inbound, EMAIL).status_code == 200
    assert len(messages(owner.workspace_id)) == 1


@pytest.mark.parametrize("case", ["bad signature", "wrong secret", "unknown token", "no token", "wrong provider"])
def test_unverifiable_requests_are_401_and_store_nothing(client, owner, inbound, providers, case):
    configure(owner, "email-2", "alpha", priority=200)
    if case == "bad signature":
        response = post(client, inbound, EMAIL, signature="0" * 64)
    elif case == "wrong secret":
        response = post(client, inbound, EMAIL, secret="guess")
    elif case == "unknown token":
        response = post(client, "not-a-token", EMAIL)
    elif case == "no token":
        response = client.post("/api/v1/public/inbound/console", json=EMAIL)
    else:  # the token of a console integration, posted as if from alpha
        response = post(client, inbound, EMAIL, provider="alpha")
    assert_error(response, 401, "UNAUTHORIZED")
    assert messages(owner.workspace_id) == [] and owner.get("/api/v1/contacts").get_json() == []


def test_without_an_inbound_secret_console_verifies_nothing(client, owner):
    configure(owner, "email", "console")
    assert_error(post(client, token_of(owner), EMAIL), 401)


def test_the_token_routes_to_its_own_workspace(client, owner, other_owner, inbound):
    configure(other_owner, "email", "console", config={"inbound_secret": SECRET})
    post(client, token_of(other_owner), EMAIL)
    assert messages(owner.workspace_id) == []
    assert len(messages(other_owner.workspace_id)) == 1


def test_a_bad_payload_is_422(client, owner, inbound):
    payload = assert_error(post(client, inbound, {"channel": "fax", "from": "", "body": None}), 422)
    assert set(payload["errors"]) == {"channel", "from", "body"}
    assert_error(post(client, inbound, {**EMAIL, "from": "not an email"}), 422)
    assert messages(owner.workspace_id) == []


def test_delivery_reports(client, owner, inbound):
    contact = owner.post("/api/v1/contacts", json={"name": "Eve", "email": "eve@example.com"}).get_json()
    conversation_id = owner.get(f"/api/v1/contacts/{contact['id']}").get_json()["conversation_id"]
    first = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "one"}).get_json()
    second = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "two"}).get_json()
    [one] = messages(owner.workspace_id, id=first["id"])
    [two] = messages(owner.workspace_id, id=second["id"])
    assert one.status == two.status == "sent"

    post(client, inbound, {"event": "delivery", "id": one.provider_message_id, "status": "delivered"})
    post(
        client,
        inbound,
        {"event": "delivery", "id": two.provider_message_id, "status": "failed", "error": "mailbox full"},
    )
    post(client, inbound, {"event": "delivery", "id": "unknown", "status": "delivered"})
    [one] = messages(owner.workspace_id, id=first["id"])
    [two] = messages(owner.workspace_id, id=second["id"])
    assert one.status == "delivered" and one.delivered_at is not None
    assert two.status == "failed" and two.error == "mailbox full"
    [alert] = alerts(owner.workspace_id, "delivery_failed")
    assert alert.entity_id == conversation_id
    assert [e.payload["message_id"] for e in outbox_events(owner.workspace_id, "message_failed")] == [two.id]


def test_documented(client):
    responses = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/public/inbound/{provider}"]
    assert {"200", "401", "422", "429"} <= set(responses["post"]["responses"])
