"""/api/v1/integrations (owner)."""

import marshmallow as ma

from careops.errors import ValidationFailed
from careops.http import Blueprint
from careops.integrations import service
from careops.integrations.schemas import (
    KEY,
    IntegrationPutSchema,
    IntegrationSchema,
    IntegrationTestResultSchema,
    IntegrationTestSchema,
    ProviderSchema,
)
from careops.messaging import registry
from careops.security import current_user, current_workspace_id

blp = Blueprint(
    "integrations",
    __name__,
    url_prefix="/api/v1/integrations",
    description="Communication providers and other integrations",
)


@blp.route("", methods=["GET"])
@blp.protected(owner=True)
@blp.response(200, IntegrationSchema(many=True))
def list_integrations():
    """Configured integrations by priority, then those plugins offer that are not configured (``available``)."""
    return service.list_integrations(current_workspace_id())


@blp.route("/providers", methods=["GET"])
@blp.protected(owner=True)
@blp.response(200, ProviderSchema(many=True))
def list_providers():
    """The communication providers installed, with the configuration fields each takes."""
    return [
        {
            "name": cls.name,
            "description": cls.description,
            "channels": list(cls.channels),
            "config_fields": [
                {"name": n, "required": f.required, "secret": bool(f.metadata.get("secret"))}
                for n, f in cls.config_schema().fields.items()
            ],
        }
        for cls in registry.providers().values()
    ]


@blp.route("/<key>", methods=["PUT"])
@blp.protected(owner=True)
@blp.arguments(IntegrationPutSchema)
@blp.response(200, IntegrationSchema)
@blp.errors(400)
def put_integration(data, key):
    """Configure integration ``key``; credentials are stored encrypted and never returned."""
    _check_key(key)
    return service.describe(service.put_integration(current_workspace_id(), key, data))


@blp.route("/<key>/test", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(IntegrationTestSchema)
@blp.response(200, IntegrationTestResultSchema)
@blp.errors(400, 404)
def test_integration(data, key):
    """Send a test message (messaging) or ping (others); records status, last_error and last_checked_at."""
    return service.test_integration(current_workspace_id(), key, to=data.get("to"), default_email=current_user().email)


def _check_key(key: str) -> None:
    try:
        KEY(key)
    except ma.ValidationError as exc:
        raise ValidationFailed({"key": exc.messages}) from None
