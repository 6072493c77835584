"""A form field as a customer is asked it: key, label, type, whether required, choices, help.

The vocabulary of every form a customer fills, next to the contact form's field
types (:data:`careops.workspaces.schemas.FIELD_TYPES`): the forms domain writes
its templates with these fields, and the contact card shows them with a
contact's forms (:class:`careops.contacts.schemas.ContactSubmissionSchema`)
without importing the forms domain. One class, so the OpenAPI document keeps one
``FormField`` component.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str
from careops.workspaces.schemas import FIELD_TYPES

#: The field types whose answer is picked from ``options``.
WITH_OPTIONS = ("select", "multiselect")


def _unique(values):
    if len(values) != len(set(values)):
        raise ma.ValidationError("Values must be unique.")


class FormFieldSchema(ma.Schema):
    key = ma.fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z][a-z0-9_]{0,39}$", error="Lower-case letters, digits and _, starting with a letter (at most 40)."
        ),
    )
    label = Str(200, min_length=1, required=True)
    type = ma.fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = ma.fields.Boolean(load_default=False)
    options = ma.fields.List(
        Str(100, min_length=1),
        validate=[validate.Length(min=1, max=50), _unique],
        metadata={"description": "select and multiselect only (required for them)"},
    )
    help_text = Str(500, allow_none=True, metadata={"description": "Shown under the field"})

    @ma.validates_schema
    def options_for_choices(self, data, **_):
        if data.get("type") in WITH_OPTIONS and not data.get("options"):
            raise ma.ValidationError("A select or multiselect field needs options.", "options")
        if data.get("type") not in WITH_OPTIONS and "options" in data:
            raise ma.ValidationError("Only select and multiselect fields have options.", "options")

    @ma.post_load
    def drop_empty(self, data, **_):
        if data.get("help_text") is None:
            data.pop("help_text", None)
        return data
