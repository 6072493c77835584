"""/api/v1/workspace, /contact-form and /staff."""

from careops.auth import service as auth_service
from careops.auth.schemas import UserSchema
from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_user, current_workspace_id
from careops.workspaces import onboarding, service
from careops.workspaces.schemas import (
    ContactFormSchema,
    InvitationCreateSchema,
    InvitationSchema,
    OnboardingSchema,
    StaffPatchSchema,
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


@blp.route("/staff", methods=["GET"])
@blp.protected(owner=True)
@blp.response(200, UserSchema(many=True))
@blp.paginate()
def list_staff(pagination_parameters):
    """Every user of the workspace, the owner included."""
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(auth_service.staff_select(workspace_id), pagination_parameters)


@blp.route("/staff/invitations", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(InvitationCreateSchema)
@blp.response(201, InvitationSchema)
@blp.errors(400, 409)
def invite(data):
    invitation, token = auth_service.invite(current_workspace_id(), current_user(), **data)
    return {**_invitation(invitation), "token": token}


@blp.route("/staff/invitations", methods=["GET"])
@blp.protected(owner=True)
@blp.response(200, InvitationSchema(many=True))
@blp.paginate()
def list_invitations(pagination_parameters):
    """Invitations, newest first, with their status: pending, accepted or expired."""
    workspace_id = current_workspace_id()
    page = WorkspaceRepository(workspace_id).page(auth_service.invitations_select(workspace_id), pagination_parameters)
    return [_invitation(i) for i in page]


@blp.route("/staff/<user_id>", methods=["PATCH"])
@blp.protected(owner=True)
@blp.arguments(StaffPatchSchema)
@blp.response(200, UserSchema)
@blp.errors(400, 404, 409)
def patch_staff(data, user_id):
    return auth_service.update_staff(current_workspace_id(), user_id, **data)


def _invitation(invitation) -> dict:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "full_name": invitation.full_name,
        "permissions": invitation.permissions,
        "expires_at": invitation.expires_at,
        "status": auth_service.invitation_status(invitation),
        "created_at": invitation.created_at,
    }
