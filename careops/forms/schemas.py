"""Request and response schemas of /form-packs, /form-templates, /form-submissions and /public/forms.

:class:`FormTemplateSchema` also validates the templates that plugins' packs offer,
so an imported template obeys exactly the rules of one the owner writes.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str
from careops.forms.models import STATUSES

# A form's fields are described below forms, where the contact card can show them too.
from careops.workspaces.form_fields import FormFieldSchema

MAX_FIELDS = 60
Id = Str(36, min_length=1)


def _unique(values):
    if len(values) != len(set(values)):
        raise ma.ValidationError("Values must be unique.")


def _unique_keys(fields):
    keys = [f["key"] for f in fields]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ma.ValidationError(f"Field keys must be unique: {', '.join(duplicates)}.")


class FormTemplateSchema(ma.Schema):
    """A template as answered, and the body of POST."""

    id = ma.fields.String(dump_only=True)
    name = Str(120, min_length=1, required=True)
    description = Str(2000, allow_none=True, load_default=None)
    fields = ma.fields.List(
        ma.fields.Nested(FormFieldSchema),
        required=True,
        validate=[validate.Length(min=1, max=MAX_FIELDS), _unique_keys],
    )
    service_ids = ma.fields.List(
        Id,
        load_default=list,
        validate=[validate.Length(max=50), _unique],
        metadata={"description": "The services whose bookings are sent this form"},
    )
    due_after_hours = ma.fields.Integer(
        load_default=24,
        validate=validate.Range(min=1, max=24 * 90),
        metadata={"description": "Hours after sending until the form is overdue"},
    )
    pack_key = ma.fields.String(dump_only=True, allow_none=True, metadata={"description": "The pack it came from"})
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Bumped when the fields change"})
    is_active = ma.fields.Boolean(
        dump_only=True, metadata={"description": "False once deleted while submissions still refer to it"}
    )
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class FormTemplatePatchSchema(ma.Schema):
    name = Str(120, min_length=1)
    description = Str(2000, allow_none=True)
    fields = ma.fields.List(
        ma.fields.Nested(FormFieldSchema), validate=[validate.Length(min=1, max=MAX_FIELDS), _unique_keys]
    )
    service_ids = ma.fields.List(Id, validate=[validate.Length(max=50), _unique])
    due_after_hours = ma.fields.Integer(validate=validate.Range(min=1, max=24 * 90))


class FormTemplateQuerySchema(ma.Schema):
    is_active = ma.fields.Boolean(
        load_default=True, metadata={"description": "false lists the templates deleted while in use (default true)"}
    )
    service_id = Str(36)


class FormPackTemplateSchema(ma.Schema):
    name = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    fields = ma.fields.List(ma.fields.Nested(FormFieldSchema))
    due_after_hours = ma.fields.Integer()


class FormPackSchema(ma.Schema):
    key = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    templates = ma.fields.List(ma.fields.Nested(FormPackTemplateSchema))


class FromPackSchema(ma.Schema):
    pack_key = Str(60, min_length=1, required=True)


class FormSubmissionSchema(ma.Schema):
    id = ma.fields.String()
    template_id = ma.fields.String()
    booking_id = ma.fields.String()
    contact_id = ma.fields.String()
    name = ma.fields.String(metadata={"description": "The template's name when it was sent"})
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    sent_at = ma.fields.DateTime()
    due_at = ma.fields.DateTime()
    reminded_at = ma.fields.DateTime(allow_none=True)
    completed_at = ma.fields.DateTime(allow_none=True)


class FormSubmissionDetailSchema(FormSubmissionSchema):
    template_version = ma.fields.Integer()
    fields = ma.fields.List(ma.fields.Nested(FormFieldSchema), metadata={"description": "As sent"})
    data = ma.fields.Dict(allow_none=True, metadata={"description": "The answers, once completed"})


class FormSubmissionQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    booking_id = Str(36)
    contact_id = Str(36)
    template_id = Str(36)


class PublicFormBusinessSchema(ma.Schema):
    name = ma.fields.String()
    slug = ma.fields.String()
    timezone = ma.fields.String()


class PublicFormBookingSchema(ma.Schema):
    reference = ma.fields.String()
    start = ma.fields.DateTime(metadata={"description": "In the workspace's timezone"})
    end = ma.fields.DateTime()
    status = ma.fields.String()
    service = ma.fields.String(metadata={"description": "The service's name"})
    location = ma.fields.String(allow_none=True)


class PublicFormSchema(ma.Schema):
    """What the customer sees: the form as sent, the booking it belongs to, and where it stands."""

    name = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    fields = ma.fields.List(ma.fields.Nested(FormFieldSchema))
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    fillable = ma.fields.Boolean(metadata={"description": "False once completed or when the booking is cancelled"})
    due_at = ma.fields.DateTime()
    completed_at = ma.fields.DateTime(allow_none=True)
    booking = ma.fields.Nested(PublicFormBookingSchema)
    business = ma.fields.Nested(PublicFormBusinessSchema)


class PublicSubmitSchema(ma.Schema):
    data = ma.fields.Dict(
        keys=ma.fields.String(),
        required=True,
        metadata={"description": "Answers by field key; errors come back per field under errors.data.<key>"},
    )
