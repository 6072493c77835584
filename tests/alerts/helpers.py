"""Helpers for the alert tests: a waiting customer message, a pending booking, the sweep at a given time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from careops.extensions import db
from tests.messaging.fixtures import alerts, outbox_events, submit_contact  # noqa: F401 - re-exported


def sweep_at(hours_from_now: float) -> dict:
    """Run the alerts' periodic task as if ``hours_from_now`` had passed."""
    from careops.alerts.tasks import sweep_alerts

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=hours_from_now), tick=False):
        from careops.alerts import conditions

        result = conditions.sweep()
        sweep_alerts()  # the periodic task itself, locked, finds nothing more to do
    db.session.expire_all()
    return result


def customer_writes(client, actor, **fields) -> str:
    """A customer message through the public contact form; its conversation's id."""
    assert submit_contact(client, actor, **fields).status_code == 201
    conversations = actor.get("/api/v1/conversations").get_json()
    email = fields.get("email", "carla@example.com").lower()
    return next(c["id"] for c in conversations if c["contact"]["email"] == email)


def open_alerts(workspace_id: str, kind: str) -> list:
    return [a for a in alerts(workspace_id, kind) if a.status == "open"]
