"""Stock items: create, change, delete, adjust, their movements, and which services use them.

``service_usage`` has one source of truth, the services' ``inventory_usage``:
an item's usage is read from them, and writing an item's ``service_usage``
rewrites the entries for that item in every service of the workspace (in the
same transaction). Deleting an item removes it from every service.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from careops.db import WorkspaceRepository
from careops.errors import ValidationFailed
from careops.extensions import db
from careops.inventory import ledger
from careops.inventory.models import INITIAL, InventoryItem, StockMovement
from careops.services.service import inventory_usage_by_service, set_item_usage, unknown_service_ids


def listing(workspace_id: str, *, low: bool | None = None) -> sa.Select:
    criteria = []
    if low is not None:
        is_low = InventoryItem.quantity <= InventoryItem.low_stock_threshold
        criteria.append(is_low if low else sa.not_(is_low))
    return (
        WorkspaceRepository(workspace_id)
        .select(InventoryItem, *criteria)
        .order_by(InventoryItem.name, InventoryItem.id)
    )


def get(workspace_id: str, item_id: str) -> InventoryItem:
    return with_usage(workspace_id, [WorkspaceRepository(workspace_id).get(InventoryItem, item_id)])[0]


def get_stock(workspace_id: str, item_id: str) -> InventoryItem:
    """The item's stock fields only: unlike :func:`get`, no read of which services use it."""
    return WorkspaceRepository(workspace_id).get(InventoryItem, item_id)


def with_usage(workspace_id: str, items: list[InventoryItem]) -> list[InventoryItem]:
    """Set ``service_usage`` on each item from the services' ``inventory_usage`` (one query)."""
    usage: dict[str, list[dict]] = {}
    for service_id, entries in inventory_usage_by_service(workspace_id):
        for entry in entries:
            usage.setdefault(entry["item_id"], []).append(
                {"service_id": service_id, "quantity": float(ledger.quantize(entry["quantity"]))}
            )
    for item in items:
        item.service_usage = usage.get(item.id, [])
    return items


def create(workspace_id: str, data: dict, *, user_id: str | None = None) -> InventoryItem:
    repo = WorkspaceRepository(workspace_id)
    usage = data.pop("service_usage", None)
    quantity = data.pop("quantity", Decimal(0))
    item = repo.add(InventoryItem(quantity=Decimal(0), **data))
    db.session.flush()
    if usage is not None:
        _write_usage(repo, item.id, usage)
    if quantity > 0:
        # From the empty state: an item typed in at or below its threshold shows its alert
        # straight away, without a crossing's message (nothing fell; the owner is typing it in).
        ledger.record(item, quantity, INITIAL, user_id=user_id)
    else:
        ledger.raise_stock_alert(item, "out")
    db.session.commit()
    return get(workspace_id, item.id)


def update(workspace_id: str, item_id: str, changes: dict) -> InventoryItem:
    """Name, unit, threshold and service usage; the quantity changes only through :func:`adjust`."""
    repo = WorkspaceRepository(workspace_id)
    item = ledger.lock_item(workspace_id, item_id)
    before = ledger.state(item.quantity, item.low_stock_threshold)
    if "service_usage" in changes:
        _write_usage(repo, item.id, changes.pop("service_usage"))
    for key, value in changes.items():
        setattr(item, key, value)
    ledger.settle(item, before)
    db.session.commit()
    return get(workspace_id, item.id)


def delete(workspace_id: str, item_id: str) -> None:
    """The item, its movements and deductions go; its open alert is resolved; services stop using it."""
    repo = WorkspaceRepository(workspace_id)
    item = ledger.lock_item(workspace_id, item_id)
    _write_usage(repo, item.id, [])
    for kind in ledger.ALERT_KIND.values():
        ledger.resolve_for(workspace_id, kind, ledger.ENTITY, item.id)
    db.session.delete(item)
    db.session.commit()


def adjust(workspace_id: str, item_id: str, delta: Decimal, reason: str, *, user_id: str | None) -> InventoryItem:
    """Add (restock) or remove (use, waste, count correction); below zero → 409 and nothing is written."""
    item = ledger.lock_item(workspace_id, item_id)
    ledger.record(item, delta, reason, user_id=user_id)
    db.session.commit()
    return get(workspace_id, item_id)


def movements(workspace_id: str, item_id: str) -> sa.Select:
    """The item's ledger, newest first."""
    repo = WorkspaceRepository(workspace_id)
    repo.get(InventoryItem, item_id)
    return repo.select(StockMovement, StockMovement.item_id == item_id).order_by(StockMovement.sequence.desc())


def stock_counts(workspace_id: str) -> dict:
    """``{low, out}``: items at or below their threshold but not empty, and empty items (the dashboard's). One query."""
    out = InventoryItem.quantity <= 0
    low = sa.and_(InventoryItem.quantity <= InventoryItem.low_stock_threshold, sa.not_(out))
    counts = db.session.execute(
        WorkspaceRepository(workspace_id)
        .select(InventoryItem)
        .with_only_columns(
            sa.func.count().filter(low).label("low"),
            sa.func.count().filter(out).label("out"),
        )
    ).one()
    return {"low": counts.low, "out": counts.out}


def unknown_item_ids(workspace_id: str, item_ids) -> list[str]:
    """The ids among ``item_ids`` that are not items of the workspace (services validate with it)."""
    return WorkspaceRepository(workspace_id).ids_exist(InventoryItem, item_ids)


def _write_usage(repo: WorkspaceRepository, item_id: str, usage: list[dict]) -> None:
    wanted = {u["service_id"]: float(u["quantity"]) for u in usage}
    missing = unknown_service_ids(repo.workspace_id, list(wanted))
    if missing:
        raise ValidationFailed({"service_usage": [f"Unknown service: {sid}" for sid in missing]})
    set_item_usage(repo.workspace_id, item_id, wanted)
