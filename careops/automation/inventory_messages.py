"""The ``inventory_alert`` message: an item fell to or below its threshold — tell the business.

It goes to the workspace's contact email (the owner's login email when none
is set) through the workspace's email providers, as a system message (the
business is not one of its own contacts). It is keyed by the ``inventory_low``
event: one event per crossing of the threshold, so one message per crossing,
however often the event is delivered.
"""

from __future__ import annotations

import sqlalchemy as sa

from careops.automation import templates
from careops.automation.service import effective
from careops.db import WorkspaceRepository
from careops.extensions import db
from careops.workspaces.models import Workspace


def recipient(workspace_id: str) -> str | None:
    from careops.auth.models import User

    workspace = db.session.get(Workspace, workspace_id)
    if workspace.contact_email:
        return workspace.contact_email
    return db.session.scalars(
        sa.select(User.email)
        .where(*WorkspaceRepository(workspace_id).criteria(User), User.role == "owner")
        .order_by(User.created_at)
    ).first()


def send_inventory_alert(workspace_id: str, event_id: str, item_id: str, quantity: float, threshold: float):
    """Queue the rule's message for this crossing (``quantity`` and ``threshold`` as they were then) unless the rule is off; the Message or None. Not committed."""
    from careops.inbox.sending import send_system_message
    from careops.inventory.ledger import show
    from careops.inventory.models import InventoryItem

    rule = effective(workspace_id, "inventory_alert")
    to = recipient(workspace_id)
    item = WorkspaceRepository(workspace_id).first(InventoryItem, InventoryItem.id == item_id)
    if not rule["enabled"] or not rule["template"] or not to or item is None:
        return None
    values = {
        "business": db.session.get(Workspace, workspace_id).name,
        "item_name": item.name,
        "quantity": show(quantity),
        "unit": item.unit,
        "threshold": show(threshold),
    }
    return send_system_message(
        workspace_id,
        to=to,
        subject=templates.render(rule["subject"] or "", values)[:300] or "Low stock",
        body=templates.render(rule["template"], values),
        purpose=f"inventory_alert:{event_id}",
    )
