"""Schemas of /automation/rules."""

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str


class RuleSchema(ma.Schema):
    key = ma.fields.String()
    description = ma.fields.String()
    enabled = ma.fields.Boolean()
    channel = ma.fields.String(allow_none=True, metadata={"description": "email or sms; null for staff_reply_pause"})
    subject = ma.fields.String(allow_none=True, metadata={"description": "Email subject (a template too)"})
    template = ma.fields.String(allow_none=True, metadata={"description": "The email body"})
    sms_template = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "The SMS body: short (one or two 160-character segments); links in it are sent as "
            "short links"
        },
    )
    offset_minutes = ma.fields.Integer(allow_none=True, metadata={"description": "Reminders only"})
    placeholders = ma.fields.List(ma.fields.String(), metadata={"description": "What {…} the template may use"})


class RulePatchSchema(ma.Schema):
    enabled = ma.fields.Boolean()
    channel = ma.fields.String(validate=validate.OneOf(("email", "sms")))
    subject = Str(200, min_length=1)
    template = Str(2000, min_length=1)
    #: Three GSM-7 segments at most: a longer text belongs in the email.
    sms_template = Str(459, min_length=1, multiline=True)
    offset_minutes = ma.fields.Integer(validate=validate.Range(min=1, max=60 * 24 * 30))
