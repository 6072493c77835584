"""Forecasts of stock use: the inputs every forecaster gets, and the workspace's choice of forecaster.

Forecasters come from the ``careops_inventory_forecasters`` hook. Each is
called as ``forecast(item, movements, upcoming_usage, days)`` with:

- ``item`` — a :class:`ForecastItem`: ``id``, ``name``, ``unit``, ``quantity``
  and ``low_stock_threshold`` (floats), ``now`` (an aware datetime in the
  workspace's timezone) and ``upcoming_daily`` — the usage of pending and
  confirmed bookings per day ahead (index 0 is the next 24 hours);
- ``movements`` — the item's ledger of the last :data:`HISTORY_DAYS` days,
  oldest first, as :class:`Movement` ``(at, delta, booking_id, lead_days)``
  tuples (``at`` in the workspace's timezone; ``lead_days``: for a booking's
  deduction, how many days before its start the booking was made);
- ``upcoming_usage`` — ``sum(item.upcoming_daily)``;
- ``days`` — the horizon.

and answers ``{expected_use, days_until_empty, reorder_suggested, method}``.
The workspace's forecaster is a setting (``Workspace.inventory_forecaster``);
unset, or naming a plugin that is no longer installed, it is the core's
:data:`DEFAULT`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from careops import plugins
from careops.bookings.service import upcoming_services, with_start_and_booked_at
from careops.db import WorkspaceRepository, utcnow
from careops.errors import ValidationFailed
from careops.extensions import db
from careops.inventory.models import InventoryItem, StockMovement
from careops.services.service import inventory_usage_by_service
from careops.workspaces.service import get_workspace, update_workspace

DEFAULT = "calendar_aware"
HISTORY_DAYS = 365


@dataclass
class ForecastItem:
    id: str
    name: str
    unit: str
    quantity: float
    low_stock_threshold: float
    now: datetime
    upcoming_daily: list[float] = field(default_factory=list)


class Movement(NamedTuple):
    at: datetime
    delta: float
    booking_id: str | None
    lead_days: float | None


def forecasters() -> dict:
    return {f.name: f for f in plugins.collect(plugins.hook().careops_inventory_forecasters())}


def chosen(workspace_id: str) -> str:
    """The workspace's forecaster, or the default when unset or no longer installed."""
    name = get_workspace(workspace_id).inventory_forecaster
    return name if name in forecasters() else DEFAULT


def settings(workspace_id: str) -> dict:
    return {"method": chosen(workspace_id), "available": sorted(forecasters())}


def choose(workspace_id: str, method: str) -> dict:
    if method not in forecasters():
        raise ValidationFailed({"method": [f"Unknown forecaster; available: {', '.join(sorted(forecasters()))}"]})
    update_workspace(workspace_id, {"inventory_forecaster": method})  # commits
    return settings(workspace_id)


def forecast(
    workspace_id: str,
    days: int,
    method: str | None = None,
    now: datetime | None = None,
    items: list[InventoryItem] | None = None,
) -> list[dict]:
    """One row per item (``items``, default all): ``{item_id, name, quantity, expected_use,
    days_until_empty, reorder_suggested, method}``."""
    available = forecasters()
    if method is not None and method not in available:
        raise ValidationFailed({"method": [f"Unknown forecaster; available: {', '.join(sorted(available))}"]})
    forecaster = available[method or chosen(workspace_id)]
    tz = ZoneInfo(get_workspace(workspace_id).timezone)
    now = (now or utcnow()).astimezone(tz)
    repo = WorkspaceRepository(workspace_id)
    if items is None:
        items = repo.all(InventoryItem, order_by=(InventoryItem.name, InventoryItem.id))
    history = _history(workspace_id, now, tz, [item.id for item in items])
    calendar = _calendar(workspace_id, now, days)
    rows = []
    for item in items:
        upcoming = calendar.get(item.id, [0.0] * days)
        subject = ForecastItem(
            id=item.id,
            name=item.name,
            unit=item.unit,
            quantity=float(item.quantity),
            low_stock_threshold=float(item.low_stock_threshold),
            now=now,
            upcoming_daily=upcoming,
        )
        answer = forecaster.forecast(subject, history.get(item.id, []), float(sum(upcoming)), days)
        rows.append(
            {
                "item_id": item.id,
                "name": item.name,
                "quantity": float(item.quantity),
                "expected_use": answer["expected_use"],
                "days_until_empty": answer["days_until_empty"],
                "reorder_suggested": bool(answer["reorder_suggested"]),
                "method": answer.get("method", forecaster.name),
            }
        )
    return rows


def _history(workspace_id: str, now: datetime, tz: ZoneInfo, item_ids: list[str]) -> dict[str, list[Movement]]:
    since = now - timedelta(days=HISTORY_DAYS)
    rows = db.session.execute(
        with_start_and_booked_at(
            sa.select(StockMovement.item_id, StockMovement.created_at, StockMovement.delta, StockMovement.booking_id),
            StockMovement.booking_id,
        )
        .where(
            *WorkspaceRepository(workspace_id).criteria(StockMovement),
            StockMovement.item_id.in_(item_ids),
            StockMovement.created_at >= since,
        )
        .order_by(StockMovement.item_id, StockMovement.sequence)
    )
    history: dict[str, list[Movement]] = {}
    for item_id, at, delta, booking_id, start, booked_at in rows:
        lead = (start - booked_at).total_seconds() / 86400 if start is not None and booked_at is not None else None
        history.setdefault(item_id, []).append(Movement(at.astimezone(tz), float(delta), booking_id, lead))
    return history


def _calendar(workspace_id: str, now: datetime, days: int) -> dict[str, list[float]]:
    """Per item, the usage of pending/confirmed bookings on each day ahead."""
    usage = dict(inventory_usage_by_service(workspace_id))
    bookings = upcoming_services(workspace_id, now, now + timedelta(days=days))
    calendar: dict[str, list[float]] = {}
    for service_id, start in bookings:
        day = min(days - 1, int((start - now).total_seconds() // 86400))
        for entry in usage.get(service_id, []):
            calendar.setdefault(entry["item_id"], [0.0] * days)[day] += float(entry["quantity"])
    return calendar
