"""Sending: signed by Standard Webhooks, retried on the schedule, failed with an alert, redelivered."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import WebhookVerificationError

from careops.db import utcnow
from careops.extensions import db
from careops.webhooks.delivery import RETRY_DELAYS
from tests.conftest import assert_error
from tests.webhooks.conftest import (
    TIMEOUT,
    create_contact,
    create_endpoint,
    deliveries,
    delivery_row,
    endpoint_row,
    make_due,
    retry,
    run_sweep,
    set_endpoint,
)


def test_an_event_reaches_the_receiver_signed_and_logged(owner, receiver):
    endpoint = create_endpoint(owner, receiver.url)
    contact = create_contact(owner)

    assert len(receiver.requests) == 1
    body = receiver.verified(endpoint["secret"])
    assert body["type"] == "contact.created"
    assert body["data"]["contact"]["id"] == contact["id"]
    assert body["data"]["contact"]["email"] == "cara@example.com"
    headers = receiver.requests[0]["headers"]
    assert headers["webhook-signature"].startswith("v1,")
    assert abs(int(headers["webhook-timestamp"]) - utcnow().timestamp()) < 60
    [delivery] = deliveries(owner, endpoint["id"])
    assert delivery["event_id"] == headers["webhook-id"]
    assert delivery["event_type"] == "contact.created"
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 1
    assert delivery["response_status"] == 200
    assert isinstance(delivery["response_ms"], int) and delivery["response_ms"] >= 0
    assert delivery["last_error"] is None and delivery["next_attempt_at"] is None


def test_a_wrong_secret_or_a_changed_body_does_not_verify(owner, receiver):
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    request = receiver.requests[0]
    with pytest.raises(WebhookVerificationError):
        receiver.verified(other)
    from standardwebhooks import Webhook

    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request["body"].replace("Cara", "Mallory"), request["headers"])


def test_only_subscribed_enabled_endpoints_get_the_event(owner, receiver):
    create_endpoint(owner, receiver.url, events=["booking.created"])
    disabled = create_endpoint(owner, receiver.url, enabled=False)
    create_contact(owner)
    assert receiver.requests == []
    assert deliveries(owner, disabled["id"]) == []


def test_retries_on_500_with_the_same_webhook_id_then_succeeds(app, owner, receiver):
    receiver.statuses = [500, 503]
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    [delivery] = deliveries(owner, endpoint["id"])
    assert delivery["status"] == "pending"
    assert delivery["response_status"] == 500 and "HTTP 500" in delivery["last_error"]
    row = delivery_row(app, delivery["id"])
    assert timedelta(seconds=3) < row.next_attempt_at - row.last_attempt_at < timedelta(seconds=8)

    assert run_sweep(app) == 0  # not due yet: nothing is sent early
    assert len(receiver.requests) == 1

    retry(app, delivery["id"])
    row = delivery_row(app, delivery["id"])
    assert row.status == "pending" and row.response_status == 503 and row.attempts == 2
    assert timedelta(minutes=4) < row.next_attempt_at - utcnow() <= timedelta(minutes=5)

    retry(app, delivery["id"])
    [delivery] = deliveries(owner, endpoint["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 3 and delivery["last_error"] is None
    assert len(set(receiver.ids())) == 1 and len(receiver.ids()) == 3
    for i in range(3):  # every attempt is signed afresh and verifies
        assert receiver.verified(endpoint["secret"], i)["type"] == "contact.created"
    assert len({r["body"] for r in receiver.requests}) == 1  # the same body each time


def test_a_receiver_that_does_not_answer_in_time_is_retried(app, owner, receiver):
    receiver.delay = TIMEOUT * 2
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    [delivery] = deliveries(owner, endpoint["id"])
    assert delivery["status"] == "pending"
    assert delivery["response_status"] is None
    assert delivery["last_error"] == f"No answer within {TIMEOUT:g} seconds"

    receiver.delay = 0
    receiver.wait_idle()
    retry(app, delivery["id"])
    [delivery] = deliveries(owner, endpoint["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
    assert receiver.ids()[0] == receiver.ids()[-1]


def test_after_the_last_retry_the_delivery_fails_and_raises_an_alert(app, owner, receiver):
    receiver.statuses = [500] * 20
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    [delivery] = deliveries(owner, endpoint["id"])
    waits = []
    for _ in RETRY_DELAYS:
        row = delivery_row(app, delivery["id"])
        waits.append(row.next_attempt_at - row.last_attempt_at)
        retry(app, delivery["id"])
    # Each wait is counted from the end of the failed attempt.
    assert all(d <= w <= d + timedelta(seconds=5) for w, d in zip(waits, RETRY_DELAYS, strict=True)), waits

    [delivery] = deliveries(owner, endpoint["id"])
    assert delivery["status"] == "failed"
    assert delivery["attempts"] == len(RETRY_DELAYS) + 1 == 8
    assert delivery["next_attempt_at"] is None
    assert len(set(receiver.ids())) == 1
    make_due(app, delivery["id"])
    assert run_sweep(app) == 0  # failed is final

    alerts = owner.get("/api/v1/alerts", query_string={"kind": "integration_error"}).get_json()
    assert len(alerts) == 1
    assert alerts[0]["entity_id"] == endpoint["id"]
    assert alerts[0]["link"] == f"/api/v1/webhooks/{endpoint['id']}"
    assert owner.get(alerts[0]["link"]).status_code == 200
    assert (
        owner.get("/api/v1/webhooks/" + endpoint["id"] + "/deliveries", query_string={"status": "failed"}).get_json()[
            0
        ]["id"]
        == delivery["id"]
    )


def test_an_endpoint_failing_every_delivery_for_5_days_is_disabled(app, owner, receiver):
    receiver.statuses = [500] * 5
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    assert endpoint_row(app, endpoint["id"]).failing_since is not None
    set_endpoint(app, endpoint["id"], failing_since=utcnow() - timedelta(days=5, minutes=1))
    [delivery] = deliveries(owner, endpoint["id"])
    retry(app, delivery["id"])

    shown = owner.get(f"/api/v1/webhooks/{endpoint['id']}").get_json()
    assert shown["enabled"] is False
    assert "Every delivery failed since" in shown["disabled_reason"]
    # Its pending delivery is given up, no new event is queued, the test button is refused.
    retry(app, delivery["id"])
    assert delivery_row(app, delivery["id"]).status == "failed"
    assert len(receiver.requests) == 2
    create_contact(owner, name="Dan", email="dan@example.com")
    assert len(deliveries(owner, endpoint["id"])) == 1
    assert_error(owner.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 409, "CONFLICT")
    assert_error(owner.post(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver"), 409)

    enabled = owner.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}).get_json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None


def test_a_success_clears_the_failure_record_and_resolves_the_alert(app, owner, receiver):
    receiver.statuses = [500] * 8
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    [delivery] = deliveries(owner, endpoint["id"])
    for _ in RETRY_DELAYS:
        retry(app, delivery["id"])
    assert owner.get("/api/v1/alerts", query_string={"kind": "integration_error", "status": "open"}).get_json()
    create_contact(owner, name="Dan", email="dan@example.com")  # answered 200
    assert endpoint_row(app, endpoint["id"]).failing_since is None
    assert not owner.get("/api/v1/alerts", query_string={"kind": "integration_error", "status": "open"}).get_json()


def test_rotation_signs_with_both_secrets_for_24_hours(app, owner, receiver):
    endpoint = create_endpoint(owner, receiver.url)
    rotated = owner.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.get_json()["secret"]
    assert new.startswith("whsec_") and new != endpoint["secret"]
    create_contact(owner)
    assert len(receiver.requests[0]["headers"]["webhook-signature"].split(" ")) == 2
    assert receiver.verified(endpoint["secret"])["type"] == "contact.created"
    assert receiver.verified(new)["type"] == "contact.created"

    set_endpoint(app, endpoint["id"], previous_secret_expires_at=utcnow() - timedelta(seconds=1))
    create_contact(owner, name="Dan", email="dan@example.com")
    assert len(receiver.requests[1]["headers"]["webhook-signature"].split(" ")) == 1
    assert receiver.verified(new)["type"] == "contact.created"
    with pytest.raises(WebhookVerificationError):
        receiver.verified(endpoint["secret"])


def test_the_test_button_sends_a_ping_now(owner, receiver):
    endpoint = create_endpoint(owner, receiver.url)
    response = owner.post(f"/api/v1/webhooks/{endpoint['id']}/test")
    assert response.status_code == 200, response.get_json()
    delivery = response.get_json()
    assert delivery["event_type"] == "ping" and delivery["status"] == "succeeded"
    assert delivery["response_status"] == 200 and delivery["attempts"] == 1
    body = receiver.verified(endpoint["secret"])
    assert body["type"] == "ping" and body["data"]["endpoint_id"] == endpoint["id"]

    receiver.statuses = [500]
    failed = owner.post(f"/api/v1/webhooks/{endpoint['id']}/test").get_json()
    assert failed["status"] == "failed" and failed["response_status"] == 500  # a ping is not retried
    assert [d["event_type"] for d in deliveries(owner, endpoint["id"], status="failed")] == ["ping"]


def test_redeliver_sends_again_with_the_same_webhook_id(owner, receiver):
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    [delivery] = deliveries(owner, endpoint["id"])
    response = owner.post(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["id"] == delivery["id"]
    assert len(receiver.requests) == 2 and receiver.ids()[0] == receiver.ids()[1] == delivery["event_id"]
    assert receiver.verified(endpoint["secret"])["type"] == "contact.created"
    [again] = deliveries(owner, endpoint["id"])
    assert again["status"] == "succeeded" and again["attempts"] == 2


def test_a_second_dispatch_of_the_same_outbox_event_adds_no_delivery(app, owner, receiver):
    from careops import events
    from careops.webhooks.delivery import fan_out

    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    with app.app_context():
        event = db.session.scalars(
            sa.select(events.OutboxEvent).where(events.OutboxEvent.name == "contact_created")
        ).one()
        # As if the receipt had been lost: the dispatcher runs our receiver a second time.
        db.session.execute(sa.delete(events.EventReceipt).where(events.EventReceipt.event_id == event.id))
        event.delivered_at = None
        db.session.commit()
        assert events.deliver(event.id) is True
        assert fan_out(event.workspace_id, event.id, event.name, event.created_at, event.payload) == []
        db.session.commit()
    assert len(deliveries(owner, endpoint["id"])) == 1
    assert len(receiver.requests) == 1


def test_a_delivery_claimed_by_one_worker_is_not_sent_by_another(app, owner, receiver):
    from careops.webhooks.delivery import attempt_delivery

    receiver.statuses = [500]
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    [delivery] = deliveries(owner, endpoint["id"])
    make_due(app, delivery["id"])
    with app.app_context():
        assert attempt_delivery(delivery["id"]) == "succeeded"
        assert attempt_delivery(delivery["id"]) == "not due"
    assert len(receiver.requests) == 2


def test_a_refused_connection_is_a_failed_attempt(app, owner):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = create_endpoint(owner, f"http://127.0.0.1:{port}/hook")
    create_contact(owner)
    [delivery] = deliveries(owner, endpoint["id"])
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["response_status"] is None and delivery["last_error"].startswith("ConnectError")
    assert delivery["next_attempt_at"] is not None


def test_deleting_the_endpoint_drops_its_pending_retries(app, owner, receiver):
    from careops.webhooks.delivery import attempt_delivery

    receiver.statuses = [500]
    endpoint = create_endpoint(owner, receiver.url)
    create_contact(owner)
    [delivery] = deliveries(owner, endpoint["id"])
    assert owner.delete(f"/api/v1/webhooks/{endpoint['id']}").status_code == 204
    assert run_sweep(app) == 0
    with app.app_context():
        assert attempt_delivery(delivery["id"]) == "not due"
    assert len(receiver.requests) == 1
