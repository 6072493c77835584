"""/api/v1/form-packs, /form-templates and /form-submissions (staff need ``forms``; template writes are the owner's).

The customer's endpoints live in :mod:`careops.forms.public_views` (``public_blp``).
"""

from careops.db import WorkspaceRepository
from careops.forms import (
    demo,  # noqa: F401 - registers the demo step
    service,
    templates,
)
from careops.forms.public_views import public_blp  # noqa: F401 - registered by create_app
from careops.forms.schemas import (
    FormPackSchema,
    FormSubmissionDetailSchema,
    FormSubmissionQuerySchema,
    FormSubmissionSchema,
    FormTemplatePatchSchema,
    FormTemplateQuerySchema,
    FormTemplateSchema,
    FromPackSchema,
)
from careops.http import Blueprint
from careops.security import current_workspace_id

blp = Blueprint(
    "forms",
    __name__,
    url_prefix="/api/v1",
    description="Forms: templates and packs, the submissions sent after booking",
)


@blp.route("/form-packs", methods=["GET"])
@blp.protected(permission="forms")
@blp.response(200, FormPackSchema(many=True))
@blp.paginate()
def list_packs(pagination_parameters):
    """The form packs that installed plugins provide (import one with ``POST /form-templates/from-pack``)."""
    packs = templates.packs()
    pagination_parameters.item_count = len(packs)
    first = (pagination_parameters.page - 1) * pagination_parameters.page_size
    return packs[first : first + pagination_parameters.page_size]


@blp.route("/form-templates", methods=["GET"])
@blp.protected(permission="forms")
@blp.arguments(FormTemplateQuerySchema, location="query")
@blp.response(200, FormTemplateSchema(many=True))
@blp.paginate()
def list_templates(query, pagination_parameters):
    """Active templates, oldest first (``is_active=false``: those deleted while in use); ``service_id`` filters."""
    workspace_id = current_workspace_id()
    rows = WorkspaceRepository(workspace_id).page(
        templates.listing(workspace_id, is_active=query["is_active"], service_id=query.get("service_id")),
        pagination_parameters,
    )
    return templates.with_services(workspace_id, rows)


@blp.route("/form-templates", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(FormTemplateSchema)
@blp.response(201, FormTemplateSchema)
@blp.errors(400)
def create_template(data):
    """Fields have unique keys; select and multiselect need ``options``; unknown ``service_ids`` → 422."""
    return templates.create(current_workspace_id(), data)


@blp.route("/form-templates/from-pack", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(FromPackSchema)
@blp.response(201, FormTemplateSchema(many=True))
@blp.errors(400)
def import_pack(data):
    """Import a plugin's pack; importing it again creates nothing new and answers the same templates."""
    return templates.import_pack(current_workspace_id(), data["pack_key"])


@blp.route("/form-templates/<template_id>", methods=["GET"])
@blp.protected(permission="forms")
@blp.response(200, FormTemplateSchema)
@blp.errors(404)
def get_template(template_id):
    return templates.get(current_workspace_id(), template_id)


@blp.route("/form-templates/<template_id>", methods=["PATCH"])
@blp.protected(owner=True)
@blp.arguments(FormTemplatePatchSchema)
@blp.response(200, FormTemplateSchema)
@blp.errors(400, 404)
def patch_template(data, template_id):
    """New ``fields`` bump ``version``: forms already sent keep the fields they were sent with."""
    return templates.update(current_workspace_id(), template_id, data)


@blp.route("/form-templates/<template_id>", methods=["DELETE"])
@blp.protected(owner=True)
@blp.response(204)
@blp.errors(404)
def delete_template(template_id):
    """No service sends it any more; a template already sent is deactivated (its submissions stay), else deleted."""
    templates.delete(current_workspace_id(), template_id)


@blp.route("/form-submissions", methods=["GET"])
@blp.protected(permission="forms")
@blp.arguments(FormSubmissionQuerySchema, location="query")
@blp.response(200, FormSubmissionSchema(many=True))
@blp.paginate()
def list_submissions(query, pagination_parameters):
    """Newest first; filters ``status``, ``booking_id``, ``contact_id``, ``template_id``."""
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(service.listing(workspace_id, query), pagination_parameters)


@blp.route("/form-submissions/<submission_id>", methods=["GET"])
@blp.protected(permission="forms")
@blp.response(200, FormSubmissionDetailSchema)
@blp.errors(404)
def get_submission(submission_id):
    """With the fields as sent and, once completed, the answers in ``data``."""
    return service.get(current_workspace_id(), submission_id)
