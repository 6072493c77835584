"""/api/v1/dashboard (any staff member; each section needs its area's permission)."""

from flask import jsonify

from careops.alerts.access import permissions_of
from careops.dashboard import service
from careops.dashboard.schemas import DashboardSchema
from careops.http import Blueprint
from careops.security import current_user

blp = Blueprint("dashboard", __name__, url_prefix="/api/v1", description="What needs attention now")


@blp.route("/dashboard", methods=["GET"])
@blp.protected()
@blp.response(200, DashboardSchema)
def dashboard():
    """Counts of the workspace's day (in its time zone), open alerts and today's bookings in order.

    Staff see the sections of their permissions; the others are null.
    """
    user = current_user()
    data = service.overview(user.workspace_id, permissions=permissions_of(user))
    # Today's bookings come serialised already (as GET /bookings does, for speed).
    body = DashboardSchema(exclude=("today",)).dump(data)
    body["today"] = data["today"]
    return jsonify(body)
