"""Request and response schemas of /resources."""

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str


class ResourceSchema(ma.Schema):
    id = ma.fields.String(dump_only=True)
    name = Str(120, min_length=1, required=True)
    capacity = ma.fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "How many bookings it holds at once"},
    )
    is_active = ma.fields.Boolean(load_default=True)


class ResourcePatchSchema(ma.Schema):
    name = Str(120, min_length=1)
    capacity = ma.fields.Integer(validate=validate.Range(min=1, max=1000))
    is_active = ma.fields.Boolean()
