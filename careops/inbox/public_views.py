"""/api/v1/public/{slug}/contact and /api/v1/public/inbound/{provider} — no login, rate limited."""

from flask import request

from careops.http import Blueprint, public_rate_limit
from careops.idempotency import idempotent
from careops.inbox import contact_form, inbound
from careops.inbox.schemas import InboundAnswerSchema, PublicContactAnswerSchema, PublicContactSchema

public_blp = Blueprint(
    "inbox_public", __name__, url_prefix="/api/v1/public", description="Public contact form and inbound messages"
)


@public_blp.route("/<slug>/contact", methods=["POST"])
@public_rate_limit
@idempotent
@public_blp.arguments(PublicContactSchema)
@public_blp.response(201, PublicContactAnswerSchema)
@public_blp.errors(400, 404, 409, 429)
def contact(data, slug):
    """Send the business a message through its contact form (its fields, custom ones included; email or
    phone required). Finds or creates the contact and appends the message to its conversation."""
    return contact_form.submit(slug, data)


@public_blp.route("/inbound/<provider>", methods=["POST"])
@public_rate_limit
@idempotent
@public_blp.response(200, InboundAnswerSchema)
@public_blp.errors(401, 422, 429)
@public_blp.doc(
    parameters=[
        {
            "name": "token",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "maxLength": 200},
            "description": "The integration's inbound token (its inbound_url)",
        }
    ]
)
def inbound_message(provider):
    """A provider posts an inbound email/SMS or a delivery report; the provider plugin verifies its signature."""
    return inbound.receive(provider, request)
