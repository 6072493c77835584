"""/api/v1/contacts (any staff member)."""

from flask import jsonify

from careops.contacts import service
from careops.contacts.schemas import (
    ContactCreateSchema,
    ContactDetailSchema,
    ContactPatchSchema,
    ContactQuerySchema,
    ContactSchema,
    contact_json,
)
from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_workspace_id

blp = Blueprint("contacts", __name__, url_prefix="/api/v1/contacts", description="Customers")


@blp.route("", methods=["GET"])
@blp.protected()
@blp.arguments(ContactQuerySchema, location="query")
@blp.response(200, ContactSchema(many=True))
@blp.paginate()
def list_contacts(query, pagination_parameters):
    """Contacts, most recently active first; ``q`` searches name, email and phone."""
    workspace_id = current_workspace_id()
    page = WorkspaceRepository(workspace_id).page(
        service.search(workspace_id, query.get("q")),
        pagination_parameters,
        cached_total=service.cached_total(workspace_id, query),
    )
    return jsonify([contact_json(c) for c in page])  # ContactSchema documents it: see contact_json


@blp.route("", methods=["POST"])
@blp.protected()
@blp.arguments(ContactCreateSchema)
@blp.response(201, ContactSchema)
@blp.errors(400, 409)
def create_contact(data):
    return service.create(current_workspace_id(), **data)


@blp.route("/<contact_id>", methods=["GET"])
@blp.protected()
@blp.response(200, ContactDetailSchema)
@blp.errors(404)
def get_contact(contact_id):
    return service.detail(current_workspace_id(), contact_id)


@blp.route("/<contact_id>", methods=["PATCH"])
@blp.protected()
@blp.arguments(ContactPatchSchema)
@blp.response(200, ContactSchema)
@blp.errors(400, 404, 409)
def patch_contact(data, contact_id):
    return service.update(current_workspace_id(), contact_id, data)
