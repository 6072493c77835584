"""The stock ledger: the only code that changes an item's quantity.

Every change is :func:`record`: under the item's row lock (:func:`lock_item`)
it writes a :class:`~careops.inventory.models.StockMovement` and the new
quantity in the caller's transaction, refuses to go below zero, and settles
the item's alert state:

- ``ok`` → ``low`` or ``out`` (a *crossing* of the threshold): a
  ``low_inventory`` (or ``out_of_stock``) alert and one ``inventory_low`` event,
  whose receiver sends the ``inventory_alert`` message — once per event;
- ``low`` ↔ ``out``: the alert of the old state is resolved, the new one raised;
- back above the threshold: the open alert is resolved, so the next crossing
  alerts again.

The lock: PostgreSQL ``SELECT … FOR UPDATE`` on the item's row; SQLite takes
the database's write lock with ``BEGIN IMMEDIATE`` (as the booking lock does,
:mod:`careops.bookings.locking`), because a WAL read transaction that later
writes fails instead of waiting. On SQLite a transaction already open is
taken to hold the write lock already: the event dispatcher claims its receipt
(a write) before running a receiver.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from careops import events
from careops.alerts.service import raise_alert, resolve_for
from careops.db import WorkspaceRepository
from careops.errors import Conflict, NotFound
from careops.event_types import InventoryLow
from careops.extensions import db
from careops.inventory.models import SCALE, InventoryItem, StockMovement

STEP = Decimal(1).scaleb(-SCALE)
ALERT_KIND = {"low": "low_inventory", "out": "out_of_stock"}
ENTITY = "inventory_item"


class InsufficientStock(Conflict):
    error_code, detail = "INSUFFICIENT_STOCK", "Not enough stock: the quantity cannot go below zero"


def quantize(value) -> Decimal:
    return Decimal(str(value)).quantize(STEP, rounding=ROUND_HALF_UP)


def show(value: Decimal) -> str:
    """``2.5`` rather than ``2.500`` in messages and alert titles."""
    text = format(quantize(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def link(item_id: str) -> str:
    return f"/api/v1/inventory/{item_id}"


def lock_item(workspace_id: str, item_id: str) -> InventoryItem:
    """The item, freshly read and locked until the transaction ends (NotFound in another workspace)."""
    session = db.session
    connection = session.connection()
    stmt = sa.select(InventoryItem).where(
        InventoryItem.id == item_id, *WorkspaceRepository(workspace_id).criteria(InventoryItem)
    )
    if connection.dialect.name == "sqlite":
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        stmt = stmt.with_for_update()
    item = session.scalars(stmt.execution_options(populate_existing=True)).first()
    if item is None:
        raise NotFound("InventoryItem not found")
    return item


def state(quantity: Decimal, threshold: Decimal) -> str:
    if quantity <= 0:
        return "out"
    return "low" if quantity <= threshold else "ok"


def record(
    item: InventoryItem, delta, reason: str, *, booking_id: str | None = None, user_id: str | None = None
) -> StockMovement:
    """Apply ``delta`` to a locked item with its movement; :class:`InsufficientStock` below zero. Not committed."""
    delta = quantize(delta)
    before = state(item.quantity, item.low_stock_threshold)
    after_quantity = item.quantity + delta
    if after_quantity < 0:
        raise InsufficientStock(extra={"quantity": float(item.quantity)})
    sequence = (
        db.session.scalar(sa.select(sa.func.max(StockMovement.sequence)).where(StockMovement.item_id == item.id)) or 0
    ) + 1
    item.quantity = after_quantity
    movement = StockMovement(
        workspace_id=item.workspace_id,
        item_id=item.id,
        delta=delta,
        quantity_after=after_quantity,
        reason=reason,
        booking_id=booking_id,
        user_id=user_id,
        sequence=sequence,
    )
    db.session.add(movement)
    settle(item, before)
    return movement


def settle(item: InventoryItem, before: str) -> None:
    """Raise, resolve and announce for a change of the item's state from ``before``. Not committed."""
    after = state(item.quantity, item.low_stock_threshold)
    if after == before:
        return
    if before in ALERT_KIND:
        resolve_for(item.workspace_id, ALERT_KIND[before], ENTITY, item.id)
    if after in ALERT_KIND:
        raise_stock_alert(item, after)
    if before == "ok":
        events.emit(
            InventoryLow(item_id=item.id, quantity=float(item.quantity), threshold=float(item.low_stock_threshold)),
            item.workspace_id,
        )


def raise_stock_alert(item: InventoryItem, kind_state: str, detail: str | None = None) -> None:
    if kind_state == "out":
        raise_alert(
            item.workspace_id,
            kind="out_of_stock",
            severity="critical",
            title=f"Out of stock: {item.name}",
            detail=detail or f"{item.name} is at 0 {item.unit}.",
            link=link(item.id),
            entity_type=ENTITY,
            entity_id=item.id,
        )
    else:
        raise_alert(
            item.workspace_id,
            kind="low_inventory",
            severity="warning",
            title=f"Low stock: {item.name}",
            detail=detail
            or (
                f"{item.name} is down to {show(item.quantity)} {item.unit} "
                f"(threshold {show(item.low_stock_threshold)})."
            ),
            link=link(item.id),
            entity_type=ENTITY,
            entity_id=item.id,
        )
