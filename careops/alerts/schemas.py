"""Schemas of /alerts."""

import marshmallow as ma
from marshmallow import validate

from careops.alerts.models import KINDS, STATUSES


class AlertSchema(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    severity = ma.fields.String()
    title = ma.fields.String()
    detail = ma.fields.String(allow_none=True)
    link = ma.fields.String(allow_none=True, metadata={"description": "API path of the thing to act on"})
    entity_type = ma.fields.String(allow_none=True)
    entity_id = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    created_at = ma.fields.DateTime()
    resolved_at = ma.fields.DateTime(allow_none=True)


class AlertQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
