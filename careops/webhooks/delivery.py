"""Sending deliveries: the fan-out of an event, one attempt, the retry schedule, the sweep.

- :func:`fan_out` (from the outbox receivers) writes one delivery per enabled
  endpoint subscribed to the event — unique per (endpoint, event), so a second
  delivery of the same outbox event adds nothing — and queues its first attempt
  after the commit.
- :func:`attempt_delivery` makes one attempt if the delivery is due. It first
  claims the delivery by moving ``next_attempt_at`` to a lease in the future
  (a conditional UPDATE: of two workers only one wins), commits, sends without
  holding a transaction, then records the outcome and schedules the next try
  as a Huey ETA task (:data:`RETRY_DELAYS`). A worker that dies mid-send leaves
  the lease to expire and the sweep to try again — with the same ``webhook-id``.
- :func:`sweep` (every minute) queues every due delivery: the safety net for
  lost tasks and expired leases. Both are idempotent.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from flask import current_app
from standardwebhooks import Webhook

from careops import sweeps
from careops.after_commit import call_after_commit
from careops.db import WorkspaceRepository, insert_or_ignore, new_id, utcnow
from careops.extensions import db
from careops.integrations import crypto
from careops.webhooks import guard
from careops.webhooks.models import WebhookDelivery, WebhookEndpoint
from careops.webhooks.payloads import EVENT_TYPES, PING, data_for, envelope

#: Waits after the 1st, 2nd… failed attempt (API.md); after the last, the delivery is ``failed``.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
#: An endpoint that failed every delivery for this long is disabled.
DISABLE_AFTER = timedelta(days=5)
DEFAULT_TIMEOUT_SECONDS = 10.0
#: How long an attempt holds its claim beyond the request timeout (then the sweep may retry it).
LEASE_MARGIN = timedelta(seconds=30)
log = logging.getLogger(__name__)
MAX_ERROR = 500


def timeout_seconds() -> float:
    # Not in the documented configuration: a knob for tests (API.md fixes 10 seconds).
    return float(current_app.config.get("CAREOPS_WEBHOOKS_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)


def allow_private() -> bool:
    return bool(current_app.config.get("CAREOPS_WEBHOOKS_ALLOW_PRIVATE"))


def fan_out(workspace_id: str, event_id: str, name: str, occurred_at: datetime, payload: dict) -> list[str]:
    """One delivery of outbox event ``event_id`` per subscribed, enabled endpoint; the new ids. Not committed."""
    event_type = EVENT_TYPES[name]
    endpoints = [
        e
        for e in WorkspaceRepository(workspace_id).all(
            WebhookEndpoint, WebhookEndpoint.enabled.is_(True), order_by=WebhookEndpoint.created_at
        )
        if event_type in (e.events or [])
    ]
    if not endpoints:
        return []
    body = envelope(event_type, occurred_at, data_for(name, workspace_id, payload))
    now = utcnow()
    created = []
    for endpoint in endpoints:
        delivery_id = new_id()
        if insert_or_ignore(
            WebhookDelivery,
            {
                "id": delivery_id,
                "workspace_id": workspace_id,
                "endpoint_id": endpoint.id,
                "event_id": event_id,
                "event_type": event_type,
                "payload": body,
                "status": "pending",
                "attempts": 0,
                "retry_step": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        ):
            created.append(delivery_id)
            schedule(delivery_id)
    return created


def create_ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``ping`` delivery for the endpoint, due now. Not committed; the caller attempts it."""
    from careops.webhooks.payloads import ping_data

    now = utcnow()
    delivery = WebhookDelivery(
        id=new_id(),
        workspace_id=endpoint.workspace_id,
        endpoint_id=endpoint.id,
        event_id=new_id(),
        event_type=PING,
        status="pending",
        attempts=0,
        retry_step=0,
        payload=envelope(PING, now, ping_data(endpoint.id)),
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(delivery)
    return delivery


def schedule(delivery_id: str, eta: datetime | None = None) -> None:
    """Queue an attempt after the commit: now, or as an ETA task (no worker sleeps waiting)."""
    from careops.webhooks.tasks import send_delivery

    if eta is None:
        call_after_commit(send_delivery, delivery_id)
    else:
        call_after_commit(send_delivery.schedule, args=(delivery_id,), eta=eta)


def sweep(now: datetime | None = None) -> int:
    """Queue an attempt of every due pending delivery (lost tasks, expired leases); how many."""
    from careops.webhooks.tasks import send_delivery

    # No grace: an attempt's claim pushes next_attempt_at past its lease, so what is
    # due here is unclaimed (its task lost) or its lease expired.
    now = now or utcnow()
    return sweeps.sweep_ids(
        sa.select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at),
        send_delivery,
        what="webhook delivery",
    )


def _claim(delivery_id: str, now: datetime, lease: timedelta) -> bool:
    claimed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease, attempts=WebhookDelivery.attempts + 1, last_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets to sign with: the current one, and the previous one during its 24 hours."""
    secrets = [crypto.decrypt(endpoint.secret)]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets.append(crypto.decrypt(endpoint.previous_secret))
    return secrets


def sign(secrets: list[str], message_id: str, at: datetime, body: str) -> dict:
    """The Standard Webhooks headers; one ``v1,…`` signature per secret, space-separated."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(message_id, at, body) for s in secrets),
        "content-type": "application/json",
        "user-agent": "CareOps-Webhooks/1",
    }


def attempt_delivery(delivery_id: str, now: datetime | None = None) -> str:
    """One attempt of a due pending delivery. Commits.

    Returns the outcome: ``succeeded``, ``retrying``, ``failed``, ``not due`` (not pending, not due
    yet or claimed by another worker) or ``gone`` (deleted with its endpoint).
    """
    now = now or utcnow()
    timeout = timeout_seconds()
    if not _claim(delivery_id, now, timedelta(seconds=timeout) + LEASE_MARGIN):
        return "not due"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if endpoint is None:  # deleted with its endpoint meanwhile
        db.session.rollback()
        return "gone"
    if not endpoint.enabled and delivery.event_type != PING:
        return _record(delivery_id, now, None, None, "The endpoint is disabled", final=True)
    try:
        secrets = signing_secrets(endpoint, now)
    except crypto.SecretUnreadable as exc:
        return _record(delivery_id, now, None, None, str(exc))
    url, message_id = endpoint.url, delivery.event_id
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    db.session.rollback()  # no transaction is held while waiting on the receiver
    status, error, started = None, None, time.monotonic()
    try:
        with guard.client(timeout=timeout, allow_private=allow_private()) as http:
            response = http.post(url, content=body.encode(), headers=sign(secrets, message_id, utcnow(), body))
        status = response.status_code
        if not 200 <= status < 300:
            error = f"The endpoint answered HTTP {status}"
    except guard.UnsafeURL as exc:
        error = f"Refused: {exc}"
    except httpx.TimeoutException:
        error = f"No answer within {timeout:g} seconds"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - an odd URL or answer is a failed attempt, not a stuck delivery
        log.exception("webhook delivery %s: unexpected error", delivery_id)
        error = f"{type(exc).__name__}: {exc}"
    elapsed_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery_id, now, status, elapsed_ms, error)


def _record(
    delivery_id: str,
    now: datetime,
    status: int | None,
    elapsed_ms: int | None,
    error: str | None,
    *,
    final: bool = False,
) -> str:
    """Write an attempt's outcome, schedule the next one or give up. Commits."""
    from careops.alerts.service import raise_alert, resolve_for

    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if endpoint is None:  # the endpoint was deleted during the attempt
        db.session.rollback()
        return "gone"
    ping = delivery.event_type == PING
    delivery.response_status, delivery.response_ms = status, elapsed_ms
    if error is None:
        delivery.status, delivery.next_attempt_at, delivery.last_error = "succeeded", None, None
        if not ping:
            endpoint.failing_since = None
            resolve_for(endpoint.workspace_id, "integration_error", "webhook_endpoint", endpoint.id)
        db.session.commit()
        return "succeeded"
    delivery.last_error = error[:MAX_ERROR]
    delivery.retry_step += 1
    if final or ping or delivery.retry_step > len(RETRY_DELAYS):
        delivery.status, delivery.next_attempt_at, outcome = "failed", None, "failed"
        if not ping and not final:
            raise_alert(
                endpoint.workspace_id,
                kind="integration_error",
                severity="warning",
                title=f"Webhook deliveries to {endpoint.url[:120]} are failing",
                detail=f"{delivery.event_type} {delivery.event_id} failed after {delivery.attempts} "
                f"attempts: {delivery.last_error}",
                entity_type="webhook_endpoint",
                entity_id=endpoint.id,
            )
    else:
        due = utcnow() + RETRY_DELAYS[delivery.retry_step - 1]
        delivery.next_attempt_at, outcome = due, "retrying"
        schedule(delivery.id, due)
    if not ping and not final:
        _note_failure(endpoint, now, delivery.last_error)
    db.session.commit()
    return outcome


def _note_failure(endpoint: WebhookEndpoint, now: datetime, error: str) -> None:
    """Remember since when the endpoint fails; disable it once that is :data:`DISABLE_AFTER` ago."""
    from careops.alerts.service import raise_alert

    if endpoint.failing_since is None:
        endpoint.failing_since = now
        return
    if endpoint.enabled and endpoint.failing_since <= now - DISABLE_AFTER:
        endpoint.enabled = False
        endpoint.disabled_reason = (
            f"Every delivery failed since {endpoint.failing_since.isoformat()} (last error: {error})"
        )[:1000]
        raise_alert(
            endpoint.workspace_id,
            kind="integration_error",
            severity="critical",
            title=f"Webhook endpoint {endpoint.url[:120]} was disabled",
            detail=endpoint.disabled_reason,
            entity_type="webhook_endpoint",
            entity_id=endpoint.id,
        )
