"""/api/v1/resources: staff read, the owner writes."""

from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.resources import service
from careops.resources.schemas import ResourcePatchSchema, ResourceSchema
from careops.security import current_workspace_id

blp = Blueprint(
    "resources",
    __name__,
    url_prefix="/api/v1/resources",
    description="What bookings occupy: practitioners, rooms, chairs, each with a capacity",
)


@blp.route("", methods=["GET"])
@blp.protected()
@blp.response(200, ResourceSchema(many=True))
@blp.paginate()
def list_resources(pagination_parameters):
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(service.listing(workspace_id), pagination_parameters)


@blp.route("", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(ResourceSchema)
@blp.response(201, ResourceSchema)
@blp.errors(400)
def create_resource(data):
    return service.create(current_workspace_id(), **data)


@blp.route("/<resource_id>", methods=["GET"])
@blp.protected()
@blp.response(200, ResourceSchema)
@blp.errors(404)
def get_resource(resource_id):
    return service.get(current_workspace_id(), resource_id)


@blp.route("/<resource_id>", methods=["PATCH"])
@blp.protected(owner=True)
@blp.arguments(ResourcePatchSchema)
@blp.response(200, ResourceSchema)
@blp.errors(400, 404, 409)
def patch_resource(data, resource_id):
    """Deactivating a resource that an active service uses → 409."""
    return service.update(current_workspace_id(), resource_id, data)


@blp.route("/<resource_id>", methods=["DELETE"])
@blp.protected(owner=True)
@blp.response(204)
@blp.errors(404, 409)
def delete_resource(resource_id):
    """Deleting a resource that an active service uses → 409."""
    service.delete(current_workspace_id(), resource_id)
