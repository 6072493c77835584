"""/api/v1/availability and /availability/overrides: staff read, the owner writes."""

from careops.availability import service
from careops.availability.schemas import AvailabilityOverrideQuerySchema, AvailabilityOverrideSchema, AvailabilitySchema
from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_workspace_id

blp = Blueprint(
    "availability",
    __name__,
    url_prefix="/api/v1/availability",
    description="Weekly opening hours and date overrides, in workspace time",
)


@blp.route("", methods=["GET"])
@blp.protected()
@blp.response(200, AvailabilitySchema)
def get_availability():
    return {"rules": service.rules(current_workspace_id())}


@blp.route("", methods=["PUT"])
@blp.protected(owner=True)
@blp.arguments(AvailabilitySchema)
@blp.response(200, AvailabilitySchema)
@blp.errors(400, 404)
def put_availability(data):
    """Replace the weekly rules; rules that overlap for the same service → 422."""
    return {"rules": service.put_rules(current_workspace_id(), data["rules"])}


@blp.route("/overrides", methods=["GET"])
@blp.protected()
@blp.arguments(AvailabilityOverrideQuerySchema, location="query")
@blp.response(200, AvailabilityOverrideSchema(many=True))
@blp.paginate()
def list_overrides(query, pagination_parameters):
    """Overrides sorted by date; ``from``/``to`` (dates, inclusive) narrow the list."""
    workspace_id = current_workspace_id()
    stmt = service.overrides_listing(workspace_id, query.get("from_"), query.get("to"))
    return WorkspaceRepository(workspace_id).page(stmt, pagination_parameters)


@blp.route("/overrides", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(AvailabilityOverrideSchema)
@blp.response(201, AvailabilityOverrideSchema)
@blp.errors(400, 404)
def create_override(data):
    """A closed day (``closed: true``) or replacement hours for one date."""
    return service.create_override(current_workspace_id(), data)


@blp.route("/overrides/<override_id>", methods=["DELETE"])
@blp.protected(owner=True)
@blp.response(204)
@blp.errors(404)
def delete_override(override_id):
    service.delete_override(current_workspace_id(), override_id)
