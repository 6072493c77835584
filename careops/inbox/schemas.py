"""Schemas of /conversations and of the public contact form and inbound endpoints."""

import marshmallow as ma
from marshmallow import validate

from careops.fields import Str

REPLY_MAX = 5000


class ConversationContactSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)


class ConversationSchema(ma.Schema):
    id = ma.fields.String()
    contact = ma.fields.Nested(ConversationContactSchema)
    status = ma.fields.String(metadata={"enum": ["open", "closed"]})
    unread_count = ma.fields.Integer()
    automation_paused = ma.fields.Boolean()
    unanswered = ma.fields.Boolean(metadata={"description": "A customer message has had no staff reply since"})
    last_message_at = ma.fields.DateTime(allow_none=True)
    last_message_preview = ma.fields.String(allow_none=True)


def conversation_json(summary: dict) -> dict:
    """What ``ConversationSchema().dump(summary)`` gives (``summary`` from inbox.service.summary), built directly.

    ConversationSchema still documents the list's items (a test keeps the two equal).
    """
    at = summary["last_message_at"]
    return {
        "id": summary["id"],
        "contact": dict(summary["contact"]),
        "status": summary["status"],
        "unread_count": summary["unread_count"],
        "automation_paused": summary["automation_paused"],
        "unanswered": summary["unanswered"],
        "last_message_at": at.isoformat() if at is not None else None,
        "last_message_preview": summary["last_message_preview"],
    }


class MessageSchema(ma.Schema):
    id = ma.fields.String()
    direction = ma.fields.String(metadata={"enum": ["in", "out"]})
    channel = ma.fields.String(metadata={"enum": ["email", "sms", "web"]})
    author = ma.fields.String(metadata={"description": "customer, staff:<user_id> or automation:<rule>"})
    subject = ma.fields.String(allow_none=True)
    body = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["queued", "sent", "delivered", "failed"]})
    created_at = ma.fields.DateTime()
    sent_at = ma.fields.DateTime(allow_none=True)
    error = ma.fields.String(allow_none=True)


class ConversationDetailSchema(ConversationSchema):
    messages = ma.fields.List(ma.fields.Nested(MessageSchema))


class ConversationQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(("open", "unanswered", "closed")))
    q = Str(100)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("Write a message.")


class ReplySchema(ma.Schema):
    body = ma.fields.String(required=True, validate=[validate.Length(min=1, max=REPLY_MAX), _not_blank])
    channel = ma.fields.String(
        validate=validate.OneOf(("email", "sms")),
        metadata={"description": "Default: the channel the customer last wrote on"},
    )


class AutomationSchema(ma.Schema):
    paused = ma.fields.Boolean(required=True)


class ConversationStatusSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=validate.OneOf(("open", "closed")))


class PublicContactSchema(ma.Schema):
    """The default fields; the workspace's contact form decides what is accepted (custom fields too)."""

    class Meta:
        unknown = ma.INCLUDE  # checked against the workspace's own form by the service

    name = Str(120, required=True)
    email = Str(254, allow_none=True)
    phone = Str(40, allow_none=True)
    message = Str(5000, allow_none=True)


class PublicContactAnswerSchema(ma.Schema):
    ok = ma.fields.Boolean()
    message = ma.fields.String(metadata={"description": "The form's success message"})


class InboundAnswerSchema(ma.Schema):
    ok = ma.fields.Boolean()
