"""Request and response schemas of /workspace and /contact-form (/staff's are in careops.auth.schemas)."""

import marshmallow as ma
from marshmallow import validate

from careops.fields import Country, Email, Str, Timezone
from careops.workspaces.service import RESERVED_SLUGS

SLUG = validate.Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$", error="Lower-case letters, digits and hyphens.")


class WorkspaceSchema(ma.Schema):
    id = ma.fields.String(dump_only=True)
    name = ma.fields.String()
    slug = ma.fields.String()
    status = ma.fields.String()
    timezone = ma.fields.String()
    country = ma.fields.String()
    address = ma.fields.String(allow_none=True)
    contact_email = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    activated_at = ma.fields.DateTime(allow_none=True)
    logo_url = ma.fields.String(allow_none=True)
    accent_color = ma.fields.String(allow_none=True)


class WorkspacePatchSchema(ma.Schema):
    name = Str(120, min_length=1)
    timezone = Timezone()
    country = Country()
    address = Str(300, allow_none=True, multiline=True)  # printed on several lines
    contact_email = Email(allow_none=True)
    slug = Str(60, validate=[SLUG, validate.NoneOf(RESERVED_SLUGS, error="This slug is reserved.")])
    logo_url = Str(
        500,
        allow_none=True,
        validate=validate.URL(schemes={"https"}, require_tld=True, error="An https:// image address."),
    )
    accent_color = ma.fields.String(
        allow_none=True, validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="A colour written #rrggbb.")
    )


class OnboardingStepSchema(ma.Schema):
    key = ma.fields.String()
    done = ma.fields.Boolean()
    detail = ma.fields.String()


class OnboardingSchema(ma.Schema):
    steps = ma.fields.List(ma.fields.Nested(OnboardingStepSchema))
    ready_to_activate = ma.fields.Boolean()
    missing = ma.fields.List(ma.fields.String())


FIELD_TYPES = ("text", "textarea", "email", "phone", "number", "date", "select", "multiselect", "checkbox", "signature")


class ContactFormFieldSchema(ma.Schema):
    key = ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    label = Str(120, min_length=1, required=True)
    type = ma.fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = ma.fields.Boolean(load_default=False)


class ContactFormSchema(ma.Schema):
    enabled = ma.fields.Boolean(required=True)
    fields = ma.fields.List(
        ma.fields.Nested(ContactFormFieldSchema), required=True, validate=validate.Length(min=1, max=30)
    )
    success_message = Str(500, required=True)

    @ma.validates_schema
    def check_fields(self, data, **_):
        keys = [f["key"] for f in data.get("fields", [])]
        if len(keys) != len(set(keys)):
            raise ma.ValidationError("Field keys must be unique.", "fields")
        if "name" not in keys:
            raise ma.ValidationError("The form needs a 'name' field.", "fields")
        if "email" not in keys and "phone" not in keys:
            raise ma.ValidationError("The form needs an 'email' or a 'phone' field.", "fields")
