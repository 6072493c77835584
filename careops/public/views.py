"""/api/v1/public/{slug}: what a customer's browser needs to show the business's page."""

import marshmallow as ma

from careops.http import Blueprint, public_rate_limit
from careops.public.access import active_workspace, public_workspace
from careops.public.short_links import site  # noqa: F401 - /m/<code>, registered at the site root
from careops.services import service as services
from careops.services.schemas import PublicServiceSchema
from careops.workspaces.service import get_contact_form

public_blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="A business's public page")


class PublicContactFormSchema(ma.Schema):
    enabled = ma.fields.Boolean()
    fields = ma.fields.List(ma.fields.Dict())


class PublicWorkspaceSchema(ma.Schema):
    name = ma.fields.String()
    timezone = ma.fields.String()
    services = ma.fields.List(ma.fields.Nested(PublicServiceSchema))
    contact_form = ma.fields.Nested(PublicContactFormSchema)


@public_blp.route("/<slug>", methods=["GET"])
@public_rate_limit
@active_workspace
@public_blp.response(200, PublicWorkspaceSchema)
@public_blp.errors(404, 409, 429)
def public_page(slug):
    """Name, timezone, active services and the contact form's fields (404 unknown, 409 before activation)."""
    workspace = public_workspace()
    form = get_contact_form(workspace.id)
    return {
        "name": workspace.name,
        "timezone": workspace.timezone,
        "services": services.active_services(workspace.id),
        "contact_form": {"enabled": form.enabled, "fields": form.fields},
    }
