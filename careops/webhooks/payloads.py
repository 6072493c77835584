"""What a webhook says: the event types, and the ``data`` of each (ids and public fields only).

A payload is built once, when the delivery is created, from the entity as it
is then; every retry sends the same body. It carries the ids and the fields a
receiver needs to act — never a token, a secret, a password or form answers
(those can hold health data; the receiver reads them through the API).
"""

from __future__ import annotations

from datetime import datetime

from careops.errors import NotFound

#: Outbox event name → webhook event type (API.md, "Outgoing webhooks").
EVENT_TYPES = {
    "booking_created": "booking.created",
    "booking_status_changed": "booking.status_changed",
    "booking_rescheduled": "booking.rescheduled",
    "booking_cancelled": "booking.cancelled",
    "contact_created": "contact.created",
    "message_received": "message.received",
    "message_failed": "message.failed",
    "form_submitted": "form.completed",
    "inventory_low": "inventory.low",
    "alert_raised": "alert.raised",
}
#: The types an endpoint may subscribe to (``ping`` is sent only by the test button).
SUBSCRIBABLE = tuple(EVENT_TYPES.values())
PING = "ping"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def envelope(event_type: str, occurred_at: datetime, data: dict) -> dict:
    return {"type": event_type, "timestamp": _iso(occurred_at), "data": data}


def _booking(workspace_id: str, booking_id: str) -> dict:
    from careops.bookings import service as bookings

    booking = bookings.get(workspace_id, booking_id)
    return {
        "id": booking.id,
        "reference": booking.reference,
        "start": _iso(booking.start),
        "end": _iso(booking.end),
        "status": booking.status,
        "service_id": booking.service_id,
        "contact_id": booking.contact_id,
        "source": booking.source,
        "resource_ids": sorted(link.resource_id for link in booking.resource_links),
        "created_at": _iso(booking.created_at),
    }


def _contact(workspace_id: str, contact_id: str) -> dict:
    from careops.contacts import service as contacts

    contact = contacts.get(workspace_id, contact_id)
    return {
        "id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "source": contact.source,
        "created_at": _iso(contact.created_at),
    }


def _message(workspace_id: str, message_id: str) -> dict:
    from careops.inbox import service as inbox

    message, contact_id = inbox.message_with_contact(workspace_id, message_id)
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "contact_id": contact_id,
        "direction": message.direction,
        "channel": message.channel,
        "subject": message.subject,
        "body": message.body,
        "status": message.status,
        "created_at": _iso(message.created_at),
    }


def _submission(workspace_id: str, submission_id: str) -> dict:
    from careops.forms import service as forms

    submission = forms.get(workspace_id, submission_id)
    return {
        "id": submission.id,
        "template_id": submission.template_id,
        "name": submission.name,
        "booking_id": submission.booking_id,
        "contact_id": submission.contact_id,
        "status": submission.status,
        "completed_at": _iso(submission.completed_at),
    }


def _item(workspace_id: str, item_id: str) -> dict:
    from careops.inventory import service as inventory

    item = inventory.get_stock(workspace_id, item_id)
    return {
        "id": item.id,
        "name": item.name,
        "unit": item.unit,
        "quantity": float(item.quantity),
        "low_stock_threshold": float(item.low_stock_threshold),
    }


def _alert(workspace_id: str, alert_id: str) -> dict:
    from careops.alerts import service as alerts

    alert = alerts.get(workspace_id, alert_id)
    return {
        "id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity,
        "title": alert.title,
        "link": alert.link,
        "entity_type": alert.entity_type,
        "entity_id": alert.entity_id,
        "created_at": _iso(alert.created_at),
    }


def data_for(name: str, workspace_id: str, payload: dict) -> dict:
    """The ``data`` of outbox event ``name``: the event's own facts plus the entity's public fields.

    An entity gone by now (deleted before the event was handled) leaves only the event's facts.
    """
    try:
        if name.startswith("booking_"):
            facts = {
                k: payload[k] for k in ("old_status", "new_status", "old_start", "new_start", "by") if k in payload
            }
            return {"booking": _booking(workspace_id, payload["booking_id"]), **facts}
        if name == "contact_created":
            return {"contact": _contact(workspace_id, payload["contact_id"])}
        if name == "message_received":
            return {"message": _message(workspace_id, payload["message_id"])}
        if name == "message_failed":
            return {"message": _message(workspace_id, payload["message_id"]), "error": payload.get("error")}
        if name == "form_submitted":
            return {"form_submission": _submission(workspace_id, payload["submission_id"])}
        if name == "inventory_low":
            return {
                "item": _item(workspace_id, payload["item_id"]),
                "quantity": payload.get("quantity"),
                "threshold": payload.get("threshold"),
            }
        if name == "alert_raised":
            return {"alert": _alert(workspace_id, payload["alert_id"])}
    except NotFound:
        pass
    return {k: v for k, v in payload.items() if not any(s in k for s in ("token", "secret", "password"))}


def ping_data(endpoint_id: str) -> dict:
    return {"endpoint_id": endpoint_id, "message": "A test event from CareOps"}
