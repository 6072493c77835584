"""Request and response schemas of /services."""

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str

Id = Str(36, min_length=1)


class InventoryUsageSchema(ma.Schema):
    item_id = Str(36, min_length=1, required=True)
    quantity = ma.fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=1_000_000))


def _unique(values, key=None):
    keys = [key(v) for v in values] if key else list(values)
    if len(keys) != len(set(keys)):
        raise ma.ValidationError("Values must be unique.")


class ServiceSchema(ma.Schema):
    """A service as answered, and the body of POST (all but name and duration are optional)."""

    id = ma.fields.String(dump_only=True)
    name = Str(120, min_length=1, required=True)
    description = Str(2000, allow_none=True)
    duration_minutes = ma.fields.Integer(required=True, validate=validate.Range(min=5, max=1440))
    location = Str(300, allow_none=True)
    resource_ids = ma.fields.List(
        Id,
        validate=[validate.Length(min=1, max=10), _unique],
        metadata={"description": "Default: the workspace's first resource"},
    )
    buffer_before_minutes = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=1440))
    buffer_after_minutes = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=1440))
    min_notice_minutes = ma.fields.Integer(load_default=60, validate=validate.Range(min=0, max=525_600))
    booking_horizon_days = ma.fields.Integer(load_default=60, validate=validate.Range(min=1, max=730))
    slot_interval_minutes = ma.fields.Integer(
        allow_none=True, validate=validate.Range(min=5, max=1440), metadata={"description": "Default: the duration"}
    )
    requires_confirmation = ma.fields.Boolean(load_default=False)
    is_active = ma.fields.Boolean(load_default=True)
    form_template_ids = ma.fields.List(Id, load_default=list, validate=[validate.Length(max=20), _unique])
    inventory_usage = ma.fields.List(
        ma.fields.Nested(InventoryUsageSchema),
        load_default=list,
        validate=[validate.Length(max=50), lambda v: _unique(v, key=lambda u: u["item_id"])],
    )


class ServicePatchSchema(ma.Schema):
    name = Str(120, min_length=1)
    description = Str(2000, allow_none=True)
    duration_minutes = ma.fields.Integer(validate=validate.Range(min=5, max=1440))
    location = Str(300, allow_none=True)
    resource_ids = ma.fields.List(Id, validate=[validate.Length(min=1, max=10), _unique])
    buffer_before_minutes = ma.fields.Integer(validate=validate.Range(min=0, max=1440))
    buffer_after_minutes = ma.fields.Integer(validate=validate.Range(min=0, max=1440))
    min_notice_minutes = ma.fields.Integer(validate=validate.Range(min=0, max=525_600))
    booking_horizon_days = ma.fields.Integer(validate=validate.Range(min=1, max=730))
    slot_interval_minutes = ma.fields.Integer(allow_none=True, validate=validate.Range(min=5, max=1440))
    requires_confirmation = ma.fields.Boolean()
    is_active = ma.fields.Boolean()
    form_template_ids = ma.fields.List(Id, validate=[validate.Length(max=20), _unique])
    inventory_usage = ma.fields.List(
        ma.fields.Nested(InventoryUsageSchema),
        validate=[validate.Length(max=50), lambda v: _unique(v, key=lambda u: u["item_id"])],
    )


class PublicServiceSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    duration_minutes = ma.fields.Integer()
    location = ma.fields.String(allow_none=True)


class ServiceQuerySchema(ma.Schema):
    is_active = ma.fields.Boolean()
