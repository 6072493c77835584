"""Schemas of /audit-log."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from marshmallow import validate

from careops.audit.models import ACTIONS, ACTOR_TYPES


class DateOrDateTime(ma.fields.Field):
    """``YYYY-MM-DD`` (a whole day in the workspace's zone) or an RFC 3339 datetime with an offset."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ma.ValidationError("Give a date (YYYY-MM-DD) or a datetime with an offset.")
        try:
            if len(value) == 10:
                parsed = dt.date.fromisoformat(value)
            else:
                parsed = ma.fields.AwareDateTime().deserialize(value)
        except (ValueError, ma.ValidationError, OverflowError) as exc:
            raise ma.ValidationError("Give a date (YYYY-MM-DD) or a datetime with an offset.") from exc
        # Far enough from year 1 and 9999 that a day or a time zone added cannot overflow.
        if not 1900 <= parsed.year <= 9000:
            raise ma.ValidationError("Give a date between 1900 and 9000.")
        return parsed


class ActorSchema(ma.Schema):
    type = ma.fields.String(metadata={"enum": list(ACTOR_TYPES)})
    id = ma.fields.String(allow_none=True, metadata={"description": "A user id, a task or plugin name"})
    email = ma.fields.String(metadata={"description": "The user's email, for users"})


class AuditEntrySchema(ma.Schema):
    id = ma.fields.String()
    at = ma.fields.DateTime()
    actor = ma.fields.Nested(ActorSchema)
    action = ma.fields.String(metadata={"enum": list(ACTIONS)})
    entity_type = ma.fields.String(metadata={"description": "booking, contact, user, form_submission, …"})
    entity_id = ma.fields.String()
    changes = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.Raw(allow_none=True)),
        metadata={"description": "{field: [old, new]}; never a password, token or secret"},
    )
    ip = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)


class AuditQuerySchema(ma.Schema):
    entity_type = ma.fields.String(validate=validate.Length(max=60))
    entity_id = ma.fields.String(validate=validate.Length(max=200))
    actor_id = ma.fields.String(validate=validate.Length(max=200))
    action = ma.fields.String(validate=validate.OneOf(ACTIONS))
    from_ = DateOrDateTime(
        data_key="from",
        metadata={
            "type": "string",
            "maxLength": 40,
            "description": "A date (workspace day, inclusive) or an RFC 3339 datetime",
        },
    )
    to = DateOrDateTime(
        metadata={
            "type": "string",
            "maxLength": 40,
            "description": "A date (workspace day, inclusive) or an RFC 3339 datetime",
        }
    )

    @ma.validates_schema
    def ordered(self, data, **_):
        first, last = data.get("from_"), data.get("to")
        if first is not None and last is not None and type(first) is type(last) and last < first:
            raise ma.ValidationError("'to' is before 'from'.", "to")
