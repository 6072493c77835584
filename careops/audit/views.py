"""/api/v1/audit-log (owner): the append-only history of every write in the workspace."""

from flask import g

from careops.audit import service
from careops.audit.schemas import AuditEntrySchema, AuditQuerySchema
from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_workspace_id

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Who changed what, when, from where")


@blp.route("/audit-log", methods=["GET"])
@blp.protected(owner=True)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEntrySchema(many=True))
@blp.paginate()
def audit_log(query, pagination_parameters):
    """Newest first. Filters: ``entity_type``, ``entity_id``, ``actor_id``, ``action`` (create, update, delete),
    ``from`` and ``to`` (a date — the workspace's day, inclusive — or a datetime)."""
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(service.search(workspace_id, query), pagination_parameters)


@blp.before_app_request
def forget_the_previous_caller():
    """Each request names its own user: ``g`` can outlive a request (an app context pushed around
    several, as tests and immediate tasks do), and the audit log must not credit a write to the last one."""
    g.pop("user_id", None)
