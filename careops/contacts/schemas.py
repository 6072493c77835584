"""Request and response schemas of /contacts."""

import marshmallow as ma
from marshmallow import validate

from careops.fields import Email, PhoneRaw, Str
from careops.workspaces.form_fields import FormFieldSchema


class ContactSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    source = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    created_at = ma.fields.DateTime()
    last_activity_at = ma.fields.DateTime()
    sms_opted_out = ma.fields.Boolean(metadata={"description": "The customer texted STOP: no SMS is sent to them"})
    email_undeliverable = ma.fields.Boolean(
        metadata={"description": "The email address hard-bounced: nothing is emailed to it until it changes"}
    )


def contact_json(contact) -> dict:
    """What ``ContactSchema().dump(contact)`` gives, built directly: the list's items.

    ContactSchema still documents them (and a test keeps the two equal);
    marshmallow's per-field dump of a page was the list's largest cost after the queries.
    """
    return {
        "id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "source": contact.source,
        "tags": list(contact.tags),
        "created_at": contact.created_at.isoformat(),
        "last_activity_at": contact.last_activity_at.isoformat(),
        "sms_opted_out": contact.sms_opted_out,
        "email_undeliverable": contact.email_undeliverable,
    }


class ContactBookingSchema(ma.Schema):
    id = ma.fields.String()
    reference = ma.fields.String()
    service_id = ma.fields.String()
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()
    status = ma.fields.String()


class ContactSubmissionSchema(ma.Schema):
    """A contact's form in the contact detail (the forms domain reads them: ``forms.service.contact_forms``)."""

    id = ma.fields.String()
    template_id = ma.fields.String()
    booking_id = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String()
    due_at = ma.fields.DateTime()
    completed_at = ma.fields.DateTime(allow_none=True)
    fields = ma.fields.List(ma.fields.Nested(FormFieldSchema))
    data = ma.fields.Dict(allow_none=True)


class ContactDetailSchema(ContactSchema):
    conversation_id = ma.fields.String()
    bookings = ma.fields.List(ma.fields.Nested(ContactBookingSchema))
    forms = ma.fields.List(
        ma.fields.Nested(ContactSubmissionSchema),
        metadata={"description": "Recent forms; data holds the answers once completed"},
    )


Tag = Str(40, min_length=1)


class ContactCreateSchema(ma.Schema):
    name = Str(120, min_length=1, required=True)
    email = Email(allow_none=True)
    phone = PhoneRaw(allow_none=True)
    tags = ma.fields.List(Tag, load_default=list, validate=validate.Length(max=20))

    @ma.validates_schema
    def email_or_phone(self, data, **_):
        if not data.get("email") and not data.get("phone"):
            raise ma.ValidationError("Give an email or a phone number.", "email")


class ContactPatchSchema(ma.Schema):
    name = Str(120, min_length=1)
    email = Email(allow_none=True)
    phone = PhoneRaw(allow_none=True)
    tags = ma.fields.List(Tag, validate=validate.Length(max=20))


class ContactQuerySchema(ma.Schema):
    q = Str(100)
