"""/api/v1/alerts: staff see and resolve the alerts of their areas; the owner sees all."""

from careops.alerts import service
from careops.alerts.access import permissions_of
from careops.alerts.schemas import AlertQuerySchema, AlertSchema
from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_user

blp = Blueprint("alerts", __name__, url_prefix="/api/v1/alerts", description="Things that need attention")


@blp.route("", methods=["GET"])
@blp.protected()
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertSchema(many=True))
@blp.paginate()
def list_alerts(query, pagination_parameters):
    """Alerts, newest first; filter by ``status`` (open, resolved) and ``kind``.

    Staff see the kinds of the areas they hold a permission for (``missed_message`` and
    ``delivery_failed``: inbox; ``unconfirmed_booking``: bookings; ``overdue_form``: forms;
    ``low_inventory`` and ``out_of_stock``: inventory); ``integration_error`` is the owner's.
    """
    user = current_user()
    stmt = service.search(user.workspace_id, permissions=permissions_of(user), **query)
    return WorkspaceRepository(user.workspace_id).page(stmt, pagination_parameters)


@blp.route("/<alert_id>/resolve", methods=["POST"])
@blp.protected()
@blp.response(200, AlertSchema)
@blp.errors(404)
def resolve_alert(alert_id):
    """Resolve by hand; an alert outside the caller's areas answers 404."""
    user = current_user()
    return service.resolve(user.workspace_id, alert_id, permissions_of(user))
