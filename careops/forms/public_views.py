"""/api/v1/public/forms/{token}: the customer reads and fills a form — no login, rate limited."""

from careops.forms import service
from careops.forms.schemas import PublicFormSchema, PublicSubmitSchema
from careops.http import Blueprint, public_rate_limit
from careops.idempotency import idempotent

public_blp = Blueprint(
    "public-forms",
    __name__,
    url_prefix="/api/v1/public",
    description="Public forms: the link a customer gets after booking",
)


@public_blp.route("/forms/<token>", methods=["GET"])
@public_rate_limit
@public_blp.response(200, PublicFormSchema)
@public_blp.errors(404, 409, 429)
def get_form(token):
    """The form as sent (fields), the booking it belongs to, its ``status`` and whether it is ``fillable``."""
    return service.public_form(token)


@public_blp.route("/forms/<token>", methods=["POST"])
@public_rate_limit
@idempotent
@public_blp.arguments(PublicSubmitSchema)
@public_blp.response(201, PublicFormSchema)
@public_blp.errors(400, 404, 409, 429)
def submit_form(data, token):
    """Answers by field key, checked per type; errors per field in ``errors.data.<key>`` (422).

    A second submit, or a form of a cancelled booking → 409.
    """
    return service.submit_by_token(token, data["data"])
