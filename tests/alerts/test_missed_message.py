"""missed_message: raised once after the configured wait, resolved by a staff reply, re-raised by a new message."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.alerts.helpers import alerts, customer_writes, open_alerts, outbox_events, sweep_at


@pytest.fixture
def inbox(client, console, active):
    return active


def test_raised_after_four_hours_by_default_and_once(client, inbox):
    conversation_id = customer_writes(client, inbox)
    assert sweep_at(3.9)["missed_message"] == 0
    assert alerts(inbox.workspace_id, "missed_message") == []
    assert sweep_at(4.1)["missed_message"] == 1
    assert sweep_at(5)["missed_message"] == 0  # idempotent: still one
    [alert] = alerts(inbox.workspace_id, "missed_message")
    assert (alert.entity_type, alert.entity_id, alert.status) == ("conversation", conversation_id, "open")
    assert alert.link == f"/api/v1/conversations/{conversation_id}"
    [event] = outbox_events(inbox.workspace_id, "alert_raised")
    assert event.payload["alert_id"] == alert.id and event.payload["kind"] == "missed_message"
    # The link opens the conversation to answer.
    response = inbox.get(alert.link)
    assert response.status_code == 200 and response.get_json()["id"] == conversation_id
    [listed] = inbox.get("/api/v1/alerts?status=open").get_json()
    assert listed["link"] == alert.link and "Carla Customer" in listed["title"]


def test_a_staff_reply_resolves_it(client, inbox):
    conversation_id = customer_writes(client, inbox)
    sweep_at(5)
    assert len(open_alerts(inbox.workspace_id, "missed_message")) == 1
    response = inbox.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Yes we do!"})
    assert response.status_code == 201
    [alert] = alerts(inbox.workspace_id, "missed_message")
    assert alert.status == "resolved" and alert.resolved_at is not None
    assert sweep_at(10)["missed_message"] == 0  # answered: nothing to raise


def test_automated_messages_are_not_replies(client, inbox):
    customer_writes(client, inbox)  # the welcome message goes out automatically
    assert sweep_at(5)["missed_message"] == 1


def test_resolved_by_hand_it_stays_resolved_until_the_customer_writes_again(client, inbox):
    conversation_id = customer_writes(client, inbox)
    sweep_at(5)
    [alert] = open_alerts(inbox.workspace_id, "missed_message")
    assert inbox.post(f"/api/v1/alerts/{alert.id}/resolve").get_json()["status"] == "resolved"
    assert sweep_at(6)["missed_message"] == 0
    slug = inbox.get("/api/v1/workspace").get_json()["slug"]
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=7), tick=False):
        response = client.post(
            f"/api/v1/public/{slug}/contact",
            json={"name": "Carla Customer", "email": "carla@example.com", "message": "Hello? Anyone?"},
        )
        assert response.status_code == 201
    assert sweep_at(7 + 3)["missed_message"] == 0
    assert sweep_at(7 + 5)["missed_message"] == 1
    [reopened] = open_alerts(inbox.workspace_id, "missed_message")
    assert reopened.entity_id == conversation_id and reopened.id != alert.id


def test_closing_the_conversation_clears_it_at_the_next_sweep(client, inbox):
    conversation_id = customer_writes(client, inbox)
    sweep_at(5)
    response = inbox.post(f"/api/v1/conversations/{conversation_id}/status", json={"status": "closed"})
    assert response.status_code == 200, response.get_json()
    assert sweep_at(6)["resolved"] == 1
    assert open_alerts(inbox.workspace_id, "missed_message") == []


@pytest.mark.parametrize("config_overrides", [{"CAREOPS_ALERT_MISSED_MESSAGE_HOURS": "1"}])
def test_the_wait_is_configurable(client, inbox, config_overrides):
    customer_writes(client, inbox)
    assert sweep_at(0.9)["missed_message"] == 0
    assert sweep_at(1.1)["missed_message"] == 1
    assert "1 hour" in alerts(inbox.workspace_id, "missed_message")[0].title


def test_the_environment_sets_the_wait_too(client, inbox, monkeypatch):
    monkeypatch.setenv("CAREOPS_ALERT_MISSED_MESSAGE_HOURS", "0.5")
    customer_writes(client, inbox)
    assert sweep_at(0.6)["missed_message"] == 1


def test_each_workspace_gets_its_own(client, inbox, other_owner):
    from tests.messaging.fixtures import activate, configure

    configure(other_owner, "email", "console")
    activate(other_owner.workspace_id)
    customer_writes(client, inbox)
    customer_writes(client, other_owner)
    assert sweep_at(5)["missed_message"] == 2
    [mine] = inbox.get("/api/v1/alerts").get_json()
    [theirs] = other_owner.get("/api/v1/alerts").get_json()
    assert mine["id"] != theirs["id"]
    assert other_owner.get(mine["link"]).status_code == 404
