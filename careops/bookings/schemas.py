"""Request and response schemas of /bookings and the public booking endpoints.

Times go out in the workspace's zone (same instant, local offset): :func:`as_dict`
and :func:`public_dict` convert before dumping.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import marshmallow as ma
from marshmallow import validate

from careops.bookings.models import STATUSES
from careops.fields import Email, PhoneRaw, Str
from careops.services.schemas import PublicServiceSchema

Start = ma.fields.AwareDateTime  # RFC 3339 with an offset; a naive time is refused


class BookingFormSchema(ma.Schema):
    id = ma.fields.String()
    template_id = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String()
    due_at = ma.fields.DateTime()


class BookingSchema(ma.Schema):
    id = ma.fields.String()
    reference = ma.fields.String()
    service_id = ma.fields.String()
    contact_id = ma.fields.String()
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    notes = ma.fields.String(allow_none=True)
    source = ma.fields.String()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    forms = ma.fields.List(ma.fields.Nested(BookingFormSchema))


class ContactInputSchema(ma.Schema):
    name = Str(120, min_length=1, required=True)
    email = Email(allow_none=True)
    phone = PhoneRaw(allow_none=True)

    @ma.validates_schema
    def email_or_phone(self, data, **_):
        if not data.get("email") and not data.get("phone"):
            raise ma.ValidationError("Give an email or a phone number.", "email")


class BookingCreateSchema(ma.Schema):
    service_id = Str(36, min_length=1, required=True)
    start = Start(required=True)
    contact_id = Str(36, min_length=1)
    contact = ma.fields.Nested(ContactInputSchema)
    notes = Str(2000, allow_none=True)

    @ma.validates_schema
    def one_contact(self, data, **_):
        if ("contact_id" in data) == ("contact" in data):
            raise ma.ValidationError("Give either contact_id or contact.", "contact_id")


class BookingPatchSchema(ma.Schema):
    start = Start()
    notes = Str(2000, allow_none=True)


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=validate.OneOf(STATUSES))


class BookingQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    from_ = ma.fields.Date(data_key="from", metadata={"description": "Workspace date, inclusive"})
    to = ma.fields.Date(metadata={"description": "Workspace date, inclusive"})
    contact_id = Str(36)
    service_id = Str(36)
    day = ma.fields.String(validate=validate.OneOf(["today"]))

    @ma.validates_schema
    def ordered(self, data, **_):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ma.ValidationError("'to' is before 'from'.", "to")


class PublicBookingCreateSchema(ma.Schema):
    service_id = Str(36, min_length=1, required=True)
    start = Start(required=True)
    name = Str(120, min_length=1, required=True)
    email = Email(allow_none=True)
    phone = PhoneRaw(allow_none=True)
    notes = Str(2000, allow_none=True)

    @ma.validates_schema
    def email_or_phone(self, data, **_):
        if not data.get("email") and not data.get("phone"):
            raise ma.ValidationError("Give an email or a phone number.", "email")


class RescheduleSchema(ma.Schema):
    start = Start(required=True)


class BusinessSchema(ma.Schema):
    name = ma.fields.String()
    slug = ma.fields.String()
    timezone = ma.fields.String()


class PublicBookingSchema(ma.Schema):
    """What a customer sees of their booking."""

    reference = ma.fields.String()
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()
    status = ma.fields.String()
    service = ma.fields.Nested(PublicServiceSchema)
    business = ma.fields.Nested(BusinessSchema)
    changeable_until = ma.fields.DateTime(metadata={"description": "Cancel or move online until then"})


class PublicBookingCreatedSchema(ma.Schema):
    booking = ma.fields.Nested(PublicBookingSchema)
    manage_token = ma.fields.String()


class SlotSchema(ma.Schema):
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()
    remaining = ma.fields.Integer()


class SlotQuerySchema(ma.Schema):
    from_ = ma.fields.Date(data_key="from", metadata={"description": "Workspace date (default: today)"})
    to = ma.fields.Date(metadata={"description": "Workspace date, inclusive (default: from + 6 days)"})


class CalendarFeedQuerySchema(ma.Schema):
    token = Str(128, required=True)


class CalendarTokenSchema(ma.Schema):
    token = ma.fields.String()
    url = ma.fields.String()


def as_dict(booking, tz: ZoneInfo) -> dict:
    return {
        "id": booking.id,
        "reference": booking.reference,
        "service_id": booking.service_id,
        "contact_id": booking.contact_id,
        "start": booking.start.astimezone(tz),
        "end": booking.end.astimezone(tz),
        "status": booking.status,
        "notes": booking.notes,
        "source": booking.source,
        "created_at": booking.created_at,
        "updated_at": booking.updated_at,
        "forms": _forms(booking, tz),
    }


def as_json(booking, tz: ZoneInfo, forms: list[dict] | None = None) -> dict:
    """What ``BookingSchema().dump(as_dict(booking, tz))`` gives, built directly (for lists).

    ``forms`` are the booking's forms when the caller read them for a whole page
    (:func:`forms_of`); otherwise they are read here.
    """
    forms = _forms(booking, tz) if forms is None else [{**f, "due_at": f["due_at"].astimezone(tz)} for f in forms]
    return {
        "id": booking.id,
        "reference": booking.reference,
        "service_id": booking.service_id,
        "contact_id": booking.contact_id,
        "start": booking.start.astimezone(tz).isoformat(),
        "end": booking.end.astimezone(tz).isoformat(),
        "status": booking.status,
        "notes": booking.notes,
        "source": booking.source,
        "created_at": booking.created_at.isoformat(),
        "updated_at": booking.updated_at.isoformat(),
        "forms": [{**f, "due_at": f["due_at"].isoformat()} for f in forms],
    }


#: Reads the forms of some bookings: ``(workspace_id, booking_ids) -> {booking id: [form, ...]}``,
#: a form being ``{id, template_id, name, status, due_at}``. The forms domain sits above
#: bookings (it sends forms for bookings), so it registers the reader from its receivers
#: rather than bookings importing it; with none registered a booking lists no forms.
FormsReader = Callable[[str, list[str]], dict[str, list[dict]]]
_forms_reader: FormsReader | None = None


def register_forms_reader(reader: FormsReader) -> FormsReader:
    global _forms_reader
    _forms_reader = reader
    return reader


def forms_of(workspace_id: str, booking_ids: list[str]) -> dict[str, list[dict]]:
    """The forms of each of ``booking_ids`` (every id a key), in one read."""
    if _forms_reader is None:
        return {booking_id: [] for booking_id in booking_ids}
    return _forms_reader(workspace_id, booking_ids)


def _forms(booking, tz: ZoneInfo) -> list[dict]:
    """The booking's forms, their due times in ``tz``."""
    forms = forms_of(booking.workspace_id, [booking.id])[booking.id]
    return [{**f, "due_at": f["due_at"].astimezone(tz)} for f in forms]


def public_dict(booking, service, workspace, changeable_until) -> dict:
    tz = ZoneInfo(workspace.timezone)
    return {
        "reference": booking.reference,
        "start": booking.start.astimezone(tz),
        "end": booking.end.astimezone(tz),
        "status": booking.status,
        "service": service,
        "business": workspace,
        "changeable_until": changeable_until.astimezone(tz),
    }
