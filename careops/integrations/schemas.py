"""Schemas of /integrations."""

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str

KINDS = ("email", "sms", "calendar", "webhook", "storage")
KEY = validate.Regexp(r"^[a-z][a-z0-9_-]{0,59}$", error="Lower-case letters, digits, '-' and '_' (at most 60).")


class IntegrationSchema(ma.Schema):
    key = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    provider = ma.fields.String()
    status = ma.fields.String(
        metadata={
            "description": "ok, error, unknown (not checked yet) or available (offered by a plugin, not configured)"
        }
    )
    last_error = ma.fields.String(allow_none=True)
    last_checked_at = ma.fields.DateTime(allow_none=True)
    enabled = ma.fields.Boolean()
    priority = ma.fields.Integer(allow_none=True, metadata={"description": "Lower is tried first"})
    config = ma.fields.Dict(metadata={"description": "The configuration without its secret fields"})
    secrets_set = ma.fields.List(ma.fields.String(), metadata={"description": "Secret fields that have a value"})
    circuit = ma.fields.String(metadata={"description": "Messaging only: closed, open or half_open"})
    inbound_url = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Messaging only: the URL to give the provider for inbound messages and delivery reports"
        },
    )


class IntegrationPutSchema(ma.Schema):
    provider = Str(60, min_length=1, required=True)
    config = ma.fields.Dict(
        keys=ma.fields.String(),
        load_default=dict,
        metadata={"description": "Validated by the provider's schema; secret fields left out keep their stored value"},
    )
    enabled = ma.fields.Boolean(load_default=True)
    priority = ma.fields.Integer(load_default=100, validate=validate.Range(min=0, max=10000))
    kind = ma.fields.String(
        validate=validate.OneOf(KINDS),
        metadata={
            "description": "The channel a messaging provider serves here; default: from the key (email, email-2…)"
        },
    )


class IntegrationTestSchema(ma.Schema):
    to = Str(254, metadata={"description": "Recipient of the test message; default: your email. Required for SMS."})


class IntegrationTestResultSchema(ma.Schema):
    ok = ma.fields.Boolean()
    detail = ma.fields.String()


class ProviderFieldSchema(ma.Schema):
    name = ma.fields.String()
    required = ma.fields.Boolean()
    secret = ma.fields.Boolean()


class ProviderSchema(ma.Schema):
    name = ma.fields.String()
    description = ma.fields.String()
    channels = ma.fields.List(ma.fields.String())
    config_fields = ma.fields.List(ma.fields.Nested(ProviderFieldSchema))
