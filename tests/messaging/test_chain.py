"""The provider chain: failover in priority order, retries with backoff, final failure, circuit breakers."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from huey.exceptions import RetryTask

from careops.db import utcnow
from careops.extensions import db
from careops.inbox import delivery
from careops.inbox.models import Message
from careops.inbox.sending import send_to_contact
from careops.inbox.tasks import send_message
from careops.messaging import breaker, chain
from careops.tasks import huey
from tests.conftest import assert_error
from tests.messaging.fixtures import alerts, configure, messages, outbox_events


@pytest.fixture
def config_overrides():
    return {
        "CAREOPS_BREAKER_THRESHOLD": 3,
        "CAREOPS_BREAKER_COOLDOWN_SECONDS": 60,
        "CAREOPS_MESSAGE_MAX_ATTEMPTS": 3,
        "CAREOPS_MESSAGE_RETRY_BASE_SECONDS": 30,
    }


@pytest.fixture
def contact(owner):
    return owner.post("/api/v1/contacts", json={"name": "Fay", "email": "fay@example.com"}).get_json()


@pytest.fixture
def two_providers(owner, providers):
    configure(owner, "email", "alpha", priority=10)
    configure(owner, "email-backup", "beta", priority=20)
    return providers


@contextmanager
def tasks_held():
    """Enqueued tasks are dropped meanwhile (immediate mode would run them at once): the test drives delivery."""
    enqueue = huey.enqueue
    huey.enqueue = lambda task: None
    try:
        yield
    finally:
        huey.enqueue = enqueue


def queue(owner, contact, body="Hello") -> str:
    """A message queued and committed, its send task not run."""
    with tasks_held():
        message_id = send_to_contact(owner.workspace_id, contact["id"], body=body, author="system").id
        db.session.commit()
    return message_id


def message(message_id):
    db.session.expire_all()
    return db.session.get(Message, message_id)


def test_the_first_provider_sends(owner, contact, two_providers):
    message_id = queue(owner, contact)
    assert delivery.deliver(message_id).status == "sent"
    m = message(message_id)
    assert (m.status, m.provider, m.provider_message_id, m.attempts) == ("sent", "alpha", "alpha-1", 1)
    assert [x.to for x in two_providers.to("alpha")] == ["fay@example.com"] and two_providers.to("beta") == []
    sent = two_providers.to("alpha")[0]
    assert sent.idempotency_key == message_id and sent.from_name == owner.workspace["name"]


def test_failover_to_the_next_provider(owner, contact, two_providers):
    two_providers.fail("alpha")
    message_id = queue(owner, contact)
    assert delivery.deliver(message_id).status == "sent"
    m = message(message_id)
    assert (m.status, m.provider) == ("sent", "beta")
    assert two_providers.calls == {"alpha": 1, "beta": 1}
    listed = {i["key"]: i for i in owner.get("/api/v1/integrations").get_json()}
    assert listed["email"]["last_error"] == "alpha is down"
    assert listed["email-backup"]["status"] == "ok"


def test_a_crashing_plugin_is_a_failure_like_any_other(owner, contact, two_providers):
    two_providers.crash("alpha")
    message_id = queue(owner, contact)
    assert delivery.deliver(message_id).status == "sent"
    assert message(message_id).provider == "beta"


def test_disabled_providers_are_not_used(owner, contact, two_providers):
    owner.put("/api/v1/integrations/email", json={"provider": "alpha", "config": {}, "enabled": False})
    message_id = queue(owner, contact)
    delivery.deliver(message_id)
    assert message(message_id).provider == "beta" and two_providers.calls == {"beta": 1}


def test_all_failing_retries_with_backoff_then_fails_once(owner, contact, two_providers):
    two_providers.fail("alpha")
    two_providers.fail("beta")
    message_id = queue(owner, contact)
    now = utcnow()

    first = delivery.deliver(message_id, now=now)
    assert first.status == "retry" and 15 <= first.retry_in <= 45  # 30 s ± 50 % jitter
    m = message(message_id)
    assert (m.status, m.attempts) == ("queued", 1) and "alpha is down" in m.error and "beta is down" in m.error
    # Not due yet: a stray run does nothing.
    assert delivery.deliver(message_id, now=now + timedelta(seconds=1)).status == "skipped"

    second = delivery.deliver(message_id, now=now + timedelta(seconds=first.retry_in))
    assert second.status == "retry" and 30 <= second.retry_in <= 90  # doubled
    later = now + timedelta(seconds=first.retry_in + second.retry_in)
    assert delivery.deliver(message_id, now=later).status == "failed"

    m = message(message_id)
    assert m.status == "failed" and m.attempts == 3 and "beta is down" in m.error
    [alert] = alerts(owner.workspace_id, "delivery_failed")
    assert alert.status == "open" and alert.entity_type == "conversation"
    assert alert.link == f"/api/v1/conversations/{m.conversation_id}"
    assert [e.payload["message_id"] for e in outbox_events(owner.workspace_id, "message_failed")] == [message_id]
    # A failed message is never tried again.
    assert delivery.deliver(message_id, now=later + timedelta(hours=1)).status == "skipped"
    assert two_providers.calls == {"alpha": 3, "beta": 3}


def test_a_permanent_error_fails_without_retrying(owner, contact, two_providers):
    two_providers.fail("alpha", retryable=False, message="recipient rejected")
    two_providers.fail("beta", retryable=False, message="recipient rejected")
    message_id = queue(owner, contact)
    assert delivery.deliver(message_id).status == "failed"
    assert message(message_id).attempts == 1


def test_one_alert_per_conversation_while_open(owner, contact, two_providers):
    two_providers.fail("alpha", retryable=False)
    two_providers.fail("beta", retryable=False)
    for body in ("one", "two"):
        delivery.deliver(queue(owner, contact, body=body))
    [alert] = alerts(owner.workspace_id, "delivery_failed")
    resolved = owner.post(f"/api/v1/alerts/{alert.id}/resolve").get_json()
    assert resolved["status"] == "resolved"
    delivery.deliver(queue(owner, contact, body="three"))
    assert sorted(a.status for a in alerts(owner.workspace_id, "delivery_failed")) == ["open", "resolved"]


def test_no_provider_configured_fails_with_a_clear_error(owner, contact):
    message_id = queue(owner, contact)
    assert delivery.deliver(message_id).status == "failed"
    assert message(message_id).error == "No email provider is configured: add one under /integrations"


def test_the_task_is_rescheduled_by_huey_with_the_delay(owner, contact, two_providers):
    two_providers.fail("alpha")
    two_providers.fail("beta")
    message_id = queue(owner, contact)
    with pytest.raises(RetryTask) as raised:
        send_message.call_local(message_id)
    assert 15 <= raised.value.delay <= 45
    # Through Huey (immediate mode): the retry is put on Huey's schedule, not run at once nor slept on.
    message_id = queue(owner, contact, body="again")
    before = len(huey.scheduled())
    send_message(message_id)
    [scheduled] = huey.scheduled()[before:]
    assert scheduled.args == (message_id,)
    assert timedelta(seconds=10) <= scheduled.eta - utcnow().replace(tzinfo=None) <= timedelta(seconds=46)


def test_a_reply_never_breaks_when_every_provider_fails(owner, contact, two_providers):
    two_providers.fail("alpha")
    two_providers.fail("beta")
    conversation_id = owner.get(f"/api/v1/contacts/{contact['id']}").get_json()["conversation_id"]
    response = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Are you there?"})
    assert response.status_code == 201 and response.get_json()["status"] == "queued"
    [m] = messages(owner.workspace_id, conversation_id=conversation_id)
    assert m.status == "queued" and m.attempts == 1 and m.next_attempt_at > utcnow()


def test_retry_delay_grows_exponentially_with_jitter_and_a_cap(app):
    with app.app_context():
        assert chain.retry_delay(1, rng=lambda: 0.5) == 30
        assert chain.retry_delay(2, rng=lambda: 0.5) == 60
        assert chain.retry_delay(3, rng=lambda: 0.0) == 60  # -50 %
        assert chain.retry_delay(3, rng=lambda: 0.999) == pytest.approx(179.88)
        assert chain.retry_delay(30, rng=lambda: 0.5) == 3600  # capped


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(breaker, "clock", fake)
    return fake


def integration_id(owner, key):
    from careops.integrations.service import get_by_key

    return get_by_key(owner.workspace_id, key).id


def test_the_breaker_opens_after_consecutive_failures(owner, contact, two_providers, clock):
    two_providers.fail("alpha")
    alpha = integration_id(owner, "email")
    for i in range(3):
        delivery.deliver(queue(owner, contact, body=f"m{i}"))
    assert breaker.state(alpha) == "open" and two_providers.calls["alpha"] == 3
    listed = {i["key"]: i for i in owner.get("/api/v1/integrations").get_json()}
    assert listed["email"]["status"] == "error" and listed["email"]["circuit"] == "open"
    [alert] = alerts(owner.workspace_id, "integration_error")
    assert alert.severity == "critical" and alert.entity_id == alpha

    # Open: alpha is skipped, beta sends.
    message_id = queue(owner, contact, body="while open")
    delivery.deliver(message_id)
    assert two_providers.calls["alpha"] == 3 and message(message_id).provider == "beta"


def test_the_breaker_half_opens_after_the_cool_down(owner, contact, two_providers, clock):
    two_providers.fail("alpha")
    alpha = integration_id(owner, "email")
    for i in range(3):
        delivery.deliver(queue(owner, contact, body=f"m{i}"))
    clock.now += 61
    assert breaker.state(alpha) == "half_open"
    # One probe only: a second caller meanwhile is refused.
    assert breaker.allow(alpha) is True and breaker.allow(alpha) is False
    # The probe fails: open again for another cool-down.
    breaker.record_failure(alpha)
    assert breaker.state(alpha) == "open"
    clock.now += 61

    two_providers.heal("alpha")
    message_id = queue(owner, contact, body="probe")
    delivery.deliver(message_id)
    assert message(message_id).provider == "alpha" and breaker.state(alpha) == "closed"
    listed = {i["key"]: i for i in owner.get("/api/v1/integrations").get_json()}
    assert listed["email"]["status"] == "ok" and listed["email"]["circuit"] == "closed"
    assert [a.status for a in alerts(owner.workspace_id, "integration_error")] == ["resolved"]


def test_every_breaker_open_means_retry_later(owner, contact, two_providers, clock):
    two_providers.fail("alpha")
    two_providers.fail("beta")
    for i in range(3):
        for _ in range(3):
            delivery.deliver(queue(owner, contact, body=f"m{i}"))
    message_id = queue(owner, contact, body="nobody home")
    calls = dict(two_providers.calls)
    result = delivery.deliver(message_id)
    assert result.status == "retry" and two_providers.calls == calls  # no provider was called
    assert "circuit open" in message(message_id).error


def test_breaker_state_is_shared_through_redis_when_configured(app):
    with app.app_context():
        store = breaker._store()
        if app.config["CAREOPS_REDIS_URL"]:
            assert isinstance(store, breaker.RedisStore)
        else:
            assert isinstance(store, breaker.MemoryStore)
        for _ in range(3):
            breaker.record_failure("shared-key")
        assert breaker.state("shared-key") == "open"
        # Another process (a fresh store over the same backend) sees the same state.
        app.extensions.pop("careops_breaker")
        if app.config["CAREOPS_REDIS_URL"]:
            assert breaker.state("shared-key") == "open"
        else:
            assert breaker.state("shared-key") == "closed"


def test_staff_invitation_email_goes_through_the_providers(owner, providers):
    configure(owner, "email", "alpha")
    response = owner.post("/api/v1/staff/invitations", json={"email": "new@example.com", "permissions": {}})
    assert response.status_code == 201
    [sent] = providers.to("alpha")
    assert sent.to == "new@example.com" and response.get_json()["token"] in sent.body
    [m] = messages(owner.workspace_id)
    assert m.conversation_id is None and m.author == "system" and m.status == "sent"
    assert m.automation_key == f"invitation:{response.get_json()['id']}"
    assert owner.get("/api/v1/conversations").get_json() == []


def test_a_failing_invitation_email_does_not_break_the_invitation(owner, providers):
    configure(owner, "email", "alpha")
    providers.fail("alpha", retryable=False)
    response = owner.post("/api/v1/staff/invitations", json={"email": "new@example.com", "permissions": {}})
    assert response.status_code == 201
    [m] = messages(owner.workspace_id)
    assert m.status == "failed"
    [alert] = alerts(owner.workspace_id, "delivery_failed")
    assert (alert.entity_type, alert.entity_id) == ("message", m.id)


def test_alerts_endpoint(owner, other_owner, contact, two_providers, make_staff):
    staff = make_staff(owner, inbox=True)  # its invitation email goes out before the providers break
    two_providers.fail("alpha", retryable=False)
    two_providers.fail("beta", retryable=False)
    delivery.deliver(queue(owner, contact))
    [listed] = owner.get("/api/v1/alerts?status=open").get_json()
    assert listed["kind"] == "delivery_failed" and listed["status"] == "open"
    assert owner.get("/api/v1/alerts?status=resolved").get_json() == []
    assert_error(owner.get("/api/v1/alerts?status=maybe"), 422)
    assert_error(other_owner.post(f"/api/v1/alerts/{listed['id']}/resolve"), 404)
    assert other_owner.get("/api/v1/alerts").get_json() == []
    assert staff.post(f"/api/v1/alerts/{listed['id']}/resolve").get_json()["status"] == "resolved"
    assert owner.get("/api/v1/alerts?status=open").get_json() == []
