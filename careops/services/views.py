"""/api/v1/services: staff read, the owner writes; DELETE deactivates."""

from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_workspace_id
from careops.services import service
from careops.services.schemas import ServicePatchSchema, ServiceQuerySchema, ServiceSchema

blp = Blueprint(
    "services",
    __name__,
    url_prefix="/api/v1/services",
    description="Booking types: duration, resources, buffers, notice and horizon",
)


@blp.route("", methods=["GET"])
@blp.protected()
@blp.arguments(ServiceQuerySchema, location="query")
@blp.response(200, ServiceSchema(many=True))
@blp.paginate()
def list_services(query, pagination_parameters):
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(
        service.listing(workspace_id, query.get("is_active")), pagination_parameters
    )


@blp.route("", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(ServiceSchema)
@blp.response(201, ServiceSchema)
@blp.errors(400, 404)
def create_service(data):
    """``resource_ids`` default to the workspace's first resource; another workspace's resource → 404."""
    return service.create(current_workspace_id(), data)


@blp.route("/<service_id>", methods=["GET"])
@blp.protected()
@blp.response(200, ServiceSchema)
@blp.errors(404)
def get_service(service_id):
    return service.get(current_workspace_id(), service_id)


@blp.route("/<service_id>", methods=["PATCH"])
@blp.protected(owner=True)
@blp.arguments(ServicePatchSchema)
@blp.response(200, ServiceSchema)
@blp.errors(400, 404)
def patch_service(data, service_id):
    return service.update(current_workspace_id(), service_id, data)


@blp.route("/<service_id>", methods=["DELETE"])
@blp.protected(owner=True)
@blp.response(204)
@blp.errors(404)
def delete_service(service_id):
    """Deactivates the service: it is no longer bookable; existing bookings stay."""
    service.deactivate(current_workspace_id(), service_id)
