"""/api/v1/automation/rules (owner)."""

from careops.automation import service
from careops.automation.schemas import RulePatchSchema, RuleSchema
from careops.http import Blueprint
from careops.security import current_workspace_id

blp = Blueprint("automation", __name__, url_prefix="/api/v1/automation", description="Automation rules")


@blp.route("/rules", methods=["GET"])
@blp.protected(owner=True)
@blp.response(200, RuleSchema(many=True))
def list_rules():
    """The workspace's automation rules (fixed keys), with their current settings."""
    return service.list_rules(current_workspace_id())


@blp.route("/rules/<key>", methods=["PATCH"])
@blp.protected(owner=True)
@blp.arguments(RulePatchSchema)
@blp.response(200, RuleSchema)
@blp.errors(400, 404)
def patch_rule(data, key):
    """Change a rule; templates use ``{placeholder}`` from the rule's ``placeholders`` (``{{``/``}}`` for braces)."""
    return service.patch_rule(current_workspace_id(), key, data)
