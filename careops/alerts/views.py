"""/api/v1/alerts (any staff member)."""
from careops.alerts import service
from careops.alerts.schemas import AlertQuerySchema, AlertSchema
from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_workspace_id

blp = Blueprint("alerts", __name__, url_prefix="/api/v1/alerts", description="Things that need attention")


@blp.route("", methods=["GET"])
@blp.protected()
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertSchema(many=True))
@blp.paginate()
def list_alerts(query, pagination_parameters):
    """Alerts, newest first; filter by ``status`` (open, resolved) and ``kind``."""
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(service.search(workspace_id, **query), pagination_parameters)


@blp.route("/<alert_id>/resolve", methods=["POST"])
@blp.protected()
@blp.response(200, AlertSchema)
@blp.errors(404)
def resolve_alert(alert_id):
    return service.resolve(current_workspace_id(), alert_id)
