"""Schemas of /webhooks: endpoints, secrets, deliveries."""

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str
from careops.webhooks.models import DELIVERY_STATUSES
from careops.webhooks.payloads import PING, SUBSCRIBABLE


class WebhookEndpointSchema(ma.Schema):
    id = ma.fields.String(dump_only=True)
    url = Str(
        2000,
        min_length=1,
        multiline=False,
        required=True,
        metadata={
            "description": "http(s) URL of a public host (internal addresses are refused unless "
            "CAREOPS_WEBHOOKS_ALLOW_PRIVATE is set)"
        },
    )
    description = Str(500, allow_none=True, load_default=None)
    events = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(SUBSCRIBABLE)),
        required=True,
        validate=validate.Length(min=1, max=len(SUBSCRIBABLE)),
        metadata={"description": "Event types to send: " + ", ".join(SUBSCRIBABLE)},
    )
    enabled = ma.fields.Boolean(load_default=True)
    created_at = ma.fields.DateTime(dump_only=True)
    disabled_reason = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Why CareOps disabled it (every delivery failing for 5 days); null otherwise"},
    )


class WebhookEndpointCreatedSchema(WebhookEndpointSchema):
    secret = ma.fields.String(
        dump_only=True, metadata={"description": "The signing secret (whsec_…): shown in this answer only"}
    )


class WebhookEndpointPatchSchema(ma.Schema):
    url = Str(2000, min_length=1, multiline=False)
    description = Str(500, allow_none=True)
    events = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(SUBSCRIBABLE)), validate=validate.Length(min=1, max=len(SUBSCRIBABLE))
    )
    enabled = ma.fields.Boolean(metadata={"description": "true again clears disabled_reason"})


class WebhookSecretSchema(ma.Schema):
    secret = ma.fields.String(
        metadata={"description": "The new signing secret, shown once; the old one also signs for 24 hours"}
    )


class WebhookDeliverySchema(ma.Schema):
    id = ma.fields.String()
    endpoint_id = ma.fields.String()
    event_id = ma.fields.String(metadata={"description": "The webhook-id header of every attempt"})
    event_type = ma.fields.String(metadata={"enum": [*SUBSCRIBABLE, PING]})
    status = ma.fields.String(metadata={"enum": list(DELIVERY_STATUSES)})
    attempts = ma.fields.Integer()
    response_status = ma.fields.Integer(allow_none=True)
    response_ms = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    next_attempt_at = ma.fields.DateTime(allow_none=True)
    last_attempt_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    payload = ma.fields.Dict(metadata={"description": "The body sent: {type, timestamp, data}"})


class WebhookDeliveryQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
