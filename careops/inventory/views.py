"""/api/v1/inventory: staff with the ``inventory`` permission read and adjust; the owner changes items."""

from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.inventory import forecasting, service
from careops.inventory.schemas import (
    AdjustSchema,
    ForecasterChoiceSchema,
    ForecasterSettingsSchema,
    ForecastQuerySchema,
    ForecastSchema,
    ItemPatchSchema,
    ItemQuerySchema,
    ItemSchema,
    MovementSchema,
)
from careops.security import current_user, current_workspace_id

blp = Blueprint(
    "inventory",
    __name__,
    url_prefix="/api/v1/inventory",
    description="Supplies: a stock ledger, usage deducted when bookings complete, forecasts",
)

PERMISSION = "inventory"


@blp.route("", methods=["GET"])
@blp.protected(permission=PERMISSION)
@blp.arguments(ItemQuerySchema, location="query")
@blp.response(200, ItemSchema(many=True))
@blp.paginate()
def list_items(query, pagination_parameters):
    """Items by name; ``low=true`` for those at or below their threshold."""
    workspace_id = current_workspace_id()
    page = WorkspaceRepository(workspace_id).page(service.listing(workspace_id, **query), pagination_parameters)
    return service.with_usage(workspace_id, page)


@blp.route("", methods=["POST"])
@blp.protected(owner=True)
@blp.arguments(ItemSchema)
@blp.response(201, ItemSchema)
@blp.errors(400)
def create_item(data):
    """A new item; a starting quantity is the ledger's first movement."""
    return service.create(current_workspace_id(), data, user_id=current_user().id)


@blp.route("/forecast", methods=["GET"])
@blp.protected(permission=PERMISSION)
@blp.arguments(ForecastQuerySchema, location="query")
@blp.response(200, ForecastSchema(many=True))
@blp.paginate()
def forecast(query, pagination_parameters):
    """Expected use over the next ``days`` per item (by name), from the workspace's forecaster (or ``method``)."""
    workspace_id = current_workspace_id()
    items = WorkspaceRepository(workspace_id).page(service.listing(workspace_id), pagination_parameters)
    return forecasting.forecast(workspace_id, query["days"], query.get("method"), items=items)


@blp.route("/forecasters", methods=["GET"])
@blp.protected(permission=PERMISSION)
@blp.response(200, ForecasterSettingsSchema)
def get_forecaster():
    """The workspace's forecaster and every installed one."""
    return forecasting.settings(current_workspace_id())


@blp.route("/forecasters", methods=["PUT"])
@blp.protected(owner=True)
@blp.arguments(ForecasterChoiceSchema)
@blp.response(200, ForecasterSettingsSchema)
@blp.errors(400)
def choose_forecaster(data):
    """Choose the workspace's forecaster among the installed ones (unknown → 422)."""
    return forecasting.choose(current_workspace_id(), data["method"])


@blp.route("/<item_id>", methods=["GET"])
@blp.protected(permission=PERMISSION)
@blp.response(200, ItemSchema)
@blp.errors(404)
def get_item(item_id):
    return service.get(current_workspace_id(), item_id)


@blp.route("/<item_id>", methods=["PATCH"])
@blp.protected(owner=True)
@blp.arguments(ItemPatchSchema)
@blp.response(200, ItemSchema)
@blp.errors(400, 404)
def patch_item(data, item_id):
    """Name, unit, threshold, service usage; the quantity changes only through ``adjust``."""
    return service.update(current_workspace_id(), item_id, data)


@blp.route("/<item_id>", methods=["DELETE"])
@blp.protected(owner=True)
@blp.response(204)
@blp.errors(404)
def delete_item(item_id):
    """The item and its history; the services that used it stop using it."""
    service.delete(current_workspace_id(), item_id)


@blp.route("/<item_id>/adjust", methods=["POST"])
@blp.protected(permission=PERMISSION)
@blp.arguments(AdjustSchema)
@blp.response(200, ItemSchema)
@blp.errors(400, 404, 409)
def adjust_item(data, item_id):
    """Restock (positive ``delta``) or record use (negative); below zero → 409 ``INSUFFICIENT_STOCK``."""
    return service.adjust(current_workspace_id(), item_id, data["delta"], data["reason"], user_id=current_user().id)


@blp.route("/<item_id>/movements", methods=["GET"])
@blp.protected(permission=PERMISSION)
@blp.response(200, MovementSchema(many=True))
@blp.paginate()
@blp.errors(404)
def list_movements(item_id, pagination_parameters):
    """Every change of the item's quantity, newest first."""
    workspace_id = current_workspace_id()
    return WorkspaceRepository(workspace_id).page(service.movements(workspace_id, item_id), pagination_parameters)
