"""The public contact form: validated against the workspace's own form, it lands in the inbox.

The form's fields (``careops.workspaces`` ContactForm) decide what is
accepted: their types and ``required`` flags build the validating schema, a
field the form does not have is refused, and an email or a phone number is
always required. The contact is found or created (``source="contact_form"``,
which the ``welcome_contact`` automation answers) and the message — with any
custom fields written under it — is appended to its conversation.
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate

from careops.contacts.service import find_or_create
from careops.errors import NotFound, ValidationFailed
from careops.extensions import db
from careops.fields import Email, PhoneRaw, Str
from careops.inbox.reachability import require_reachable
from careops.inbox.service import append_inbound
from careops.workspaces.service import get_active_by_slug, get_contact_form

SOURCE = "contact_form"
_BY_KEY = {
    "name": lambda required: Str(120, min_length=1, required=True),
    "email": lambda required: Email(required=required),
    "phone": lambda required: PhoneRaw(required=required),
    "message": lambda required: Str(5000, required=required),
}
_BY_TYPE = {
    "text": lambda required: Str(500, required=required),
    "textarea": lambda required: Str(5000, required=required),
    "email": lambda required: Email(required=required),
    "phone": lambda required: PhoneRaw(required=required),
    "number": lambda required: ma.fields.Float(required=required, allow_nan=False),
    "date": lambda required: ma.fields.Date(required=required),
    "select": lambda required: Str(200, required=required),
    "multiselect": lambda required: ma.fields.List(Str(200), required=required, validate=validate.Length(max=50)),
    "checkbox": lambda required: ma.fields.Boolean(required=required),
    "signature": lambda required: Str(20000, required=required),
}


def form_schema(fields: list[dict]) -> ma.Schema:
    """A schema built from the form's field definitions (unknown fields are refused)."""
    declared = {}
    for spec in fields:
        build = _BY_KEY.get(spec["key"]) or _BY_TYPE.get(spec.get("type"), _BY_TYPE["text"])
        declared[spec["key"]] = build(bool(spec.get("required")))
    return ma.Schema.from_dict(declared, name="ContactFormSubmission")()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def validate_submission(fields: list[dict], data: dict) -> dict:
    # A browser form sends "" for an empty optional field: that is "not given", not invalid.
    given = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if not _blank(v)}
    try:
        values = form_schema(fields).load(given)
    except ma.ValidationError as exc:
        raise ValidationFailed(exc.messages) from None
    if not values.get("email") and not values.get("phone"):
        raise ValidationFailed({"email": ["Give an email or a phone number."]})
    return values


def compose(fields: list[dict], values: dict) -> str:
    """The inbox message: the customer's text, then each custom field as ``Label: value``."""
    lines = [values["message"]] if values.get("message") else []
    extra = [
        f"{spec['label']}: {_show(values[spec['key']])}"
        for spec in fields
        if spec["key"] not in _BY_KEY and spec["key"] in values
    ]
    if extra:
        lines += ([""] if lines else []) + extra
    return "\n".join(lines) or "(Contact form sent without a message.)"


def _show(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def submit(slug: str, data: dict) -> dict:
    """Handle one submission of the public contact form; ``{ok, message}``. Commits."""
    workspace = get_active_by_slug(slug)
    form = get_contact_form(workspace.id)
    if not form.enabled:
        raise NotFound("This business has no contact form")
    fields, success_message = list(form.fields), form.success_message
    values = validate_submission(fields, data)
    require_reachable(workspace.id, email=values.get("email"), phone=values.get("phone"))
    for attempt in (1, 2):
        try:
            contact, _ = find_or_create(
                workspace.id, name=values["name"], email=values.get("email"), phone=values.get("phone"), source=SOURCE
            )
            append_inbound(
                workspace.id,
                contact,
                channel="web",
                body=compose(fields, values),
                subject="Contact form",
                from_address=values.get("email") or contact.phone,
            )
            db.session.commit()
            break
        except sa.exc.IntegrityError:
            # The same customer was created concurrently (met at a flush or at the
            # commit): the second pass finds it.
            db.session.rollback()
            if attempt == 2:
                raise
    return {"ok": True, "message": success_message}
