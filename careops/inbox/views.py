"""/api/v1/conversations (staff with the ``inbox`` permission); the public endpoints are in public_views."""

from flask import jsonify

from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.inbox import service
from careops.inbox.public_views import public_blp  # noqa: F401 - registered by create_app
from careops.inbox.schemas import (
    AutomationSchema,
    ConversationDetailSchema,
    ConversationQuerySchema,
    ConversationSchema,
    ConversationStatusSchema,
    MessageSchema,
    ReplySchema,
    conversation_json,
)
from careops.security import current_user, current_workspace_id

blp = Blueprint("inbox", __name__, url_prefix="/api/v1/conversations", description="The unified inbox")


@blp.route("", methods=["GET"])
@blp.protected(permission="inbox")
@blp.arguments(ConversationQuerySchema, location="query")
@blp.response(200, ConversationSchema(many=True))
@blp.paginate()
def list_conversations(query, pagination_parameters):
    """Conversations, latest message first. ``status``: open, unanswered (a customer message has had no staff
    reply since; automated messages are not replies) or closed; ``q`` searches the contact and the messages."""
    workspace_id = current_workspace_id()
    page = WorkspaceRepository(workspace_id).page(
        service.search(workspace_id, **query),
        pagination_parameters,
        cached_total=service.cached_total(workspace_id, query),
    )
    return jsonify([conversation_json(service.summary(c)) for c in page])  # ConversationSchema documents it


@blp.route("/<conversation_id>", methods=["GET"])
@blp.protected(permission="inbox")
@blp.response(200, ConversationDetailSchema)
@blp.errors(404)
def get_conversation(conversation_id):
    return service.detail(current_workspace_id(), conversation_id)


@blp.route("/<conversation_id>/messages", methods=["POST"])
@blp.protected(permission="inbox")
@blp.arguments(ReplySchema)
@blp.response(201, MessageSchema)
@blp.errors(400, 404)
def reply(data, conversation_id):
    """Reply to the contact: queued now, sent in the background; pauses this conversation's automation."""
    return service.reply(current_workspace_id(), conversation_id, user_id=current_user().id, **data)


@blp.route("/<conversation_id>/automation", methods=["POST"])
@blp.protected(permission="inbox")
@blp.arguments(AutomationSchema)
@blp.response(200, ConversationSchema)
@blp.errors(400, 404)
def set_automation(data, conversation_id):
    """Pause or resume automated messages to this conversation's contact."""
    return service.summary(service.set_automation(current_workspace_id(), conversation_id, data["paused"]))


@blp.route("/<conversation_id>/read", methods=["POST"])
@blp.protected(permission="inbox")
@blp.response(200, ConversationSchema)
@blp.errors(404)
def mark_read(conversation_id):
    return service.summary(service.mark_read(current_workspace_id(), conversation_id))


@blp.route("/<conversation_id>/status", methods=["POST"])
@blp.protected(permission="inbox")
@blp.arguments(ConversationStatusSchema)
@blp.response(200, ConversationSchema)
@blp.errors(400, 404)
def set_status(data, conversation_id):
    """Close a conversation (a new customer message reopens it) or reopen it."""
    return service.summary(service.set_status(current_workspace_id(), conversation_id, data["status"]))
