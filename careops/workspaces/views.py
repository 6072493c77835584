"""/api/v1/workspace and /contact-form (/staff is auth's: careops.auth.staff_views)."""

from careops.http import Blueprint
from careops.security import current_workspace_id
from careops.workspaces import onboarding, service
from careops.workspaces.schemas import (
    ContactFormSchema,
    OnboardingSchema,
    WorkspacePatchSchema,
    WorkspaceSchema,
)

blp = Blueprint("workspace", __name__, url_prefix="/api/v1", description="The workspace, its contact form and staff")


@blp.route("/workspace", methods=["GET"])
@blp.protected()
@blp.response(200, WorkspaceSchema)
def get_workspace():
    return service.get_workspace(current_workspace_id())


@blp.route("/workspace", methods=["PATCH"])
@blp.protected(owner=True)
@blp.arguments(WorkspacePatchSchema)
@blp.response(200, WorkspaceSchema)
@blp.errors(400, 409)
def patch_workspace(data):
    return service.update_workspace(current_workspace_id(), data)


@blp.route("/workspace/onboarding", methods=["GET"])
@blp.protected()
@blp.response(200, OnboardingSchema)
def get_onboarding():
    """The setup checklist, in order, with what activation still needs (``missing``)."""
    return onboarding.status(current_workspace_id())


@blp.route("/workspace/activate", methods=["POST"])
@blp.protected(owner=True)
@blp.response(200, WorkspaceSchema)
@blp.errors(409)
def activate():
    """Open the public pages; 409 ``ACTIVATION_INCOMPLETE`` with a ``missing`` array otherwise."""
    return onboarding.activate(current_workspace_id())


@blp.route("/contact-form", methods=["GET"])
@blp.protected()
@blp.response(200, ContactFormSchema)
def get_contact_form():
    return service.get_contact_form(current_workspace_id())


@blp.route("/contact-form", methods=["PUT"])
@blp.protected(owner=True)
@blp.arguments(ContactFormSchema)
@blp.response(200, ContactFormSchema)
@blp.errors(400)
def put_contact_form(data):
    return service.put_contact_form(current_workspace_id(), data)
