"""/api/v1/webhooks (owner): endpoints, secret rotation, the test ping, the delivery log, redelivery."""

from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.security import current_workspace_id
from careops.webhooks import service
from careops.webhooks.schemas import (
    WebhookDeliveryQuerySchema,
    WebhookDeliverySchema,
    WebhookEndpointCreatedSchema,
    WebhookEndpointPatchSchema,
    WebhookEndpointSchema,
    WebhookSecretSchema,
)

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Outgoing webhooks, signed by the Standard Webhooks specification",
)


@blp.route("", methods=["GET"])
@blp.protected(owner=True)
@blp.response(200, WebhookEndpointSchema(many=True))
@blp.paginate()
def list_endpoints(pagination_parameters):
    """The workspace's endpoints, oldest first (never their secrets)."""
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(service.listing(workspace_id), pagination_parameters)


@blp.route("", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(WebhookEndpointSchema)
@blp.response(201, WebhookEndpointCreatedSchema)
@blp.errors(400)
def create_endpoint(data):
    """Register an endpoint; the answer holds its signing ``secret``, shown this once.

    A URL that is not http(s) or whose host resolves to a loopback, private,
    link-local, multicast or reserved address → 422.
    """
    return service.create(current_workspace_id(), **data)


@blp.route("/<endpoint_id>", methods=["GET"])
@blp.protected(owner=True)
@blp.response(200, WebhookEndpointSchema)
@blp.errors(404)
def get_endpoint(endpoint_id):
    return service.get(current_workspace_id(), endpoint_id)


@blp.route("/<endpoint_id>", methods=["PATCH"])
@blp.protected(owner=True)
@blp.arguments(WebhookEndpointPatchSchema)
@blp.response(200, WebhookEndpointSchema)
@blp.errors(400, 404)
def patch_endpoint(data, endpoint_id):
    """Change url, description, events or enabled (the URL is checked as on create)."""
    return service.update(current_workspace_id(), endpoint_id, data)


@blp.route("/<endpoint_id>", methods=["DELETE"])
@blp.protected(owner=True)
@blp.response(204)
@blp.errors(404)
def delete_endpoint(endpoint_id):
    """Delete the endpoint and its delivery log."""
    service.delete(current_workspace_id(), endpoint_id)


@blp.route("/<endpoint_id>/rotate-secret", methods=["POST"])
@blp.protected(owner=True)
@blp.response(200, WebhookSecretSchema)
@blp.errors(404)
def rotate_secret(endpoint_id):
    """A new secret, shown once; for 24 hours deliveries carry signatures of the old and the new one."""
    return {"secret": service.rotate_secret(current_workspace_id(), endpoint_id)}


@blp.route("/<endpoint_id>/test", methods=["POST"])
@blp.protected(owner=True)
@blp.response(200, WebhookDeliverySchema)
@blp.errors(404, 409)
def test_endpoint(endpoint_id):
    """Send a ``ping`` event now (one attempt, no retries) → its delivery; a disabled endpoint → 409."""
    return service.send_test(current_workspace_id(), endpoint_id)


@blp.route("/<endpoint_id>/deliveries", methods=["GET"])
@blp.protected(owner=True)
@blp.arguments(WebhookDeliveryQuerySchema, location="query")
@blp.response(200, WebhookDeliverySchema(many=True))
@blp.errors(404)
@blp.paginate()
def list_deliveries(query, endpoint_id, pagination_parameters):
    """The endpoint's deliveries, newest first; filter by ``status`` (pending, succeeded, failed)."""
    workspace_id = current_workspace_id()
    stmt = service.deliveries(workspace_id, endpoint_id, **query)
    return WorkspaceRepository(workspace_id).page(stmt, pagination_parameters)


@blp.route("/<endpoint_id>/deliveries/<delivery_id>/redeliver", methods=["POST"])
@blp.protected(owner=True)
@blp.response(202, WebhookDeliverySchema)
@blp.errors(404, 409)
def redeliver(endpoint_id, delivery_id):
    """Send the delivery again with the same ``webhook-id`` and body; a disabled endpoint → 409."""
    return service.redeliver(current_workspace_id(), endpoint_id, delivery_id)
