"""/api/v1/staff: the workspace's users and their invitations (owner only).

Auth's endpoints, documented where API.md lists them: under the "workspace" tag.
"""

from careops.auth import service
from careops.auth.schemas import InvitationCreateSchema, InvitationSchema, StaffPatchSchema, UserSchema
from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_user, current_workspace_id

blp = Blueprint("staff", __name__, url_prefix="/api/v1/staff", description="The workspace's staff and invitations")

#: API.md groups staff with the workspace; a generated client keeps them on its workspace API.
TAGS = ["workspace"]


@blp.route("", methods=["GET"], tags=TAGS)
@blp.protected(owner=True)
@blp.response(200, UserSchema(many=True))
@blp.paginate()
def list_staff(pagination_parameters):
    """Every user of the workspace, the owner included."""
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(service.staff_select(workspace_id), pagination_parameters)


@blp.route("/invitations", methods=["POST"], tags=TAGS)
@blp.protected(owner=True)
@blp.arguments(InvitationCreateSchema)
@blp.response(201, InvitationSchema)
@blp.errors(400, 409)
def invite(data):
    invitation, token = service.invite(current_workspace_id(), current_user(), **data)
    return {**_invitation(invitation), "token": token}


@blp.route("/invitations", methods=["GET"], tags=TAGS)
@blp.protected(owner=True)
@blp.response(200, InvitationSchema(many=True))
@blp.paginate()
def list_invitations(pagination_parameters):
    """Invitations, newest first, with their status: pending, accepted or expired."""
    workspace_id = current_workspace_id()
    page = WorkspaceRepository(workspace_id).page(service.invitations_select(workspace_id), pagination_parameters)
    return [_invitation(i) for i in page]


@blp.route("/<user_id>", methods=["PATCH"], tags=TAGS)
@blp.protected(owner=True)
@blp.arguments(StaffPatchSchema)
@blp.response(200, UserSchema)
@blp.errors(400, 404, 409)
def patch_staff(data, user_id):
    return service.update_staff(current_workspace_id(), user_id, **data)


def _invitation(invitation) -> dict:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "full_name": invitation.full_name,
        "permissions": invitation.permissions,
        "expires_at": invitation.expires_at,
        "status": service.invitation_status(invitation),
        "created_at": invitation.created_at,
    }
