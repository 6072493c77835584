"""Request and response schemas of /availability: weekdays by name, times as ``HH:MM``."""

from __future__ import annotations

import re
from datetime import time

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
HHMM_DOC = {"type": "string", "pattern": _HHMM.pattern, "maxLength": 5}


class WallTime(ma.fields.Field):
    """A wall-clock time ``HH:MM`` (24 h) in the workspace's timezone."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value, attr, data, **kwargs):
        match = _HHMM.match(value) if isinstance(value, str) else None
        if not match:
            raise ma.ValidationError("Use HH:MM (00:00 to 23:59).")
        return time(int(match.group(1)), int(match.group(2)))


class Weekday(ma.fields.Field):
    """``mon`` … ``sun`` in JSON, 0 … 6 in Python."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else WEEKDAYS[value]

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in WEEKDAYS:
            raise ma.ValidationError(f"One of: {', '.join(WEEKDAYS)}.")
        return WEEKDAYS.index(value)


ServiceIds = ma.fields.List(
    Str(36, min_length=1),
    allow_none=True,
    validate=validate.Length(min=1, max=100),
    metadata={"description": "Absent or null: every service"},
)


class AvailabilityRuleSchema(ma.Schema):
    weekday = Weekday(required=True, metadata={"type": "string", "enum": list(WEEKDAYS)})
    start = WallTime(required=True, metadata={**HHMM_DOC, "example": "09:00"})
    end = WallTime(required=True, metadata={**HHMM_DOC, "example": "17:00"})
    service_ids = ServiceIds

    @ma.validates_schema
    def end_after_start(self, data, **_):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ma.ValidationError("The end must be after the start.", "end")


def _services(rule) -> set | None:
    return None if not rule.get("service_ids") else set(rule["service_ids"])


def _share_a_service(a, b) -> bool:
    sa_, sb = _services(a), _services(b)
    return sa_ is None or sb is None or bool(sa_ & sb)


class AvailabilitySchema(ma.Schema):
    rules = ma.fields.List(ma.fields.Nested(AvailabilityRuleSchema), required=True, validate=validate.Length(max=200))

    @ma.validates_schema
    def no_overlap(self, data, **_):
        """Two rules that open the same service on the same day may not overlap."""
        rules = data.get("rules", [])
        errors = {}
        for i, a in enumerate(rules):
            for j in range(i):
                b = rules[j]
                if (
                    a["weekday"] == b["weekday"]
                    and a["start"] < b["end"]
                    and b["start"] < a["end"]
                    and _share_a_service(a, b)
                ):
                    errors.setdefault(i, {}).setdefault("start", []).append(
                        f"Overlaps rule {j} for the same service on {WEEKDAYS[a['weekday']]}."
                    )
        if errors:
            raise ma.ValidationError({"rules": errors})


class AvailabilityOverrideSchema(ma.Schema):
    id = ma.fields.String(dump_only=True)
    date = ma.fields.Date(required=True)
    closed = ma.fields.Boolean(required=True)
    start = WallTime(allow_none=True, metadata={**HHMM_DOC, "example": "10:00"})
    end = WallTime(allow_none=True, metadata={**HHMM_DOC, "example": "14:00"})
    service_ids = ServiceIds
    created_at = ma.fields.DateTime(dump_only=True)

    @ma.validates_schema
    def hours(self, data, **_):
        start, end = data.get("start"), data.get("end")
        if data.get("closed"):
            if start is not None or end is not None:
                raise ma.ValidationError("A closed day has no hours.", "start")
            return
        if start is None:
            raise ma.ValidationError("Give the opening hours (or closed: true).", "start")
        if end is None:
            raise ma.ValidationError("Give the opening hours (or closed: true).", "end")
        if end <= start:
            raise ma.ValidationError("The end must be after the start.", "end")


class AvailabilityOverrideQuerySchema(ma.Schema):
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()
