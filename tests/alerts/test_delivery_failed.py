"""delivery_failed: raised when every provider fails; resolved once a message reaches that contact again."""

from tests.alerts.helpers import alerts, customer_writes
from tests.messaging.fixtures import activate, configure


def test_resolved_when_a_later_message_is_sent(client, owner, providers):
    configure(owner, "email", "alpha")
    activate(owner.workspace_id)
    conversation_id = customer_writes(client, owner)
    providers.fail("alpha", retryable=False)
    assert owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Hi"}).status_code == 201
    [alert] = alerts(owner.workspace_id, "delivery_failed")
    assert (alert.status, alert.entity_id) == ("open", conversation_id)
    assert owner.get(alert.link).status_code == 200
    providers.heal("alpha")
    assert owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Hi again"}).status_code == 201
    [alert] = alerts(owner.workspace_id, "delivery_failed")
    assert alert.status == "resolved"
