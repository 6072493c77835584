"""Webhook endpoints and their delivery log: create (secret shown once), change, rotate, test, redeliver.

The signing secret is ``whsec_`` + base64 of 32 random bytes (the Standard
Webhooks format), stored encrypted; only the create and rotate answers carry
it. A rotation keeps the old secret signing beside the new one for
:data:`ROTATION_OVERLAP`, so receivers can switch without losing a delivery.
"""

from __future__ import annotations

import base64
import secrets as random
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from careops.db import WorkspaceRepository, utcnow
from careops.errors import Conflict, NotFound, ValidationFailed
from careops.extensions import db
from careops.integrations import crypto
from careops.webhooks import delivery as sending
from careops.webhooks import guard
from careops.webhooks.models import WebhookDelivery, WebhookEndpoint

ROTATION_OVERLAP = timedelta(hours=24)
SECRET_BYTES = 32
FIELDS = ("id", "url", "description", "events", "enabled", "created_at", "disabled_reason")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def describe(endpoint: WebhookEndpoint, secret: str | None = None) -> dict:
    """The endpoint as the API shows it; the secret only when just made."""
    described = {field: getattr(endpoint, field) for field in FIELDS}
    if secret is not None:
        described["secret"] = secret
    return described


def check_url(url: str) -> None:
    try:
        guard.check_url(url, bool(current_app.config.get("CAREOPS_WEBHOOKS_ALLOW_PRIVATE")))
    except guard.UnsafeURL as exc:
        raise ValidationFailed({"url": [str(exc)]}) from None


def listing(workspace_id: str) -> sa.Select:
    return (
        WorkspaceRepository(workspace_id)
        .select(WebhookEndpoint)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )


def get(workspace_id: str, endpoint_id: str) -> WebhookEndpoint:
    return WorkspaceRepository(workspace_id).get(WebhookEndpoint, endpoint_id)


def create(
    workspace_id: str, *, url: str, events: list[str], description: str | None = None, enabled: bool = True
) -> dict:
    """A new endpoint; the answer carries its secret, the only time it is shown. Commits."""
    check_url(url)
    secret = new_secret()
    endpoint = WorkspaceRepository(workspace_id).add(
        WebhookEndpoint(
            url=url,
            events=list(dict.fromkeys(events)),
            description=description,
            enabled=enabled,
            secret=crypto.encrypt(secret),
        )
    )
    db.session.commit()
    return describe(endpoint, secret)


def update(workspace_id: str, endpoint_id: str, data: dict) -> WebhookEndpoint:
    """Change url, description, events or enabled; enabling again clears the failure record. Commits."""
    endpoint = get(workspace_id, endpoint_id)
    if "url" in data:
        check_url(data["url"])
        endpoint.url = data["url"]
    if "events" in data:
        endpoint.events = list(dict.fromkeys(data["events"]))
    if "description" in data:
        endpoint.description = data["description"]
    if "enabled" in data:
        if data["enabled"] and not endpoint.enabled:
            endpoint.disabled_reason, endpoint.failing_since = None, None
        endpoint.enabled = data["enabled"]
    db.session.commit()
    return endpoint


def delete(workspace_id: str, endpoint_id: str) -> None:
    """Delete the endpoint and its delivery log. Commits."""
    endpoint = get(workspace_id, endpoint_id)
    db.session.execute(
        sa.delete(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(endpoint)
    db.session.commit()


def rotate_secret(workspace_id: str, endpoint_id: str) -> str:
    """A new secret; the current one keeps signing beside it for 24 hours. Commits."""
    endpoint = get(workspace_id, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret = crypto.encrypt(secret)
    db.session.commit()
    return secret


def send_test(workspace_id: str, endpoint_id: str) -> WebhookDelivery:
    """Send a ``ping`` now (in this request, one attempt, no retries) and return its delivery. Commits."""
    endpoint = get(workspace_id, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first")
    ping = sending.create_ping(endpoint)
    db.session.commit()
    sending.attempt_delivery(ping.id)
    return WorkspaceRepository(workspace_id).get(WebhookDelivery, ping.id)


def deliveries(workspace_id: str, endpoint_id: str, status: str | None = None) -> sa.Select:
    """The endpoint's deliveries, newest first; filter by ``status``."""
    endpoint = get(workspace_id, endpoint_id)
    criteria = [WebhookDelivery.endpoint_id == endpoint.id]
    if status:
        criteria.append(WebhookDelivery.status == status)
    return (
        WorkspaceRepository(workspace_id)
        .select(WebhookDelivery, *criteria)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
    )


def redeliver(workspace_id: str, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
    """Send a delivery again (same ``webhook-id``, same body), with a fresh retry schedule. Commits."""
    endpoint = get(workspace_id, endpoint_id)
    delivery = WorkspaceRepository(workspace_id).get(WebhookDelivery, delivery_id)
    if delivery.endpoint_id != endpoint.id:
        raise NotFound("WebhookDelivery not found")
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first")
    delivery.status, delivery.retry_step, delivery.next_attempt_at = "pending", 0, utcnow()
    sending.schedule(delivery.id)
    db.session.commit()
    return delivery
