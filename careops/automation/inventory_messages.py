"""The ``inventory_alert`` message: an item fell to or below its threshold — tell the business.

It goes to the workspace's contact email (the owner's login email when none
is set) through the workspace's email providers, as a system message (the
business is not one of its own contacts). It is keyed by the ``inventory_low``
event: one event per crossing of the threshold, so one message per crossing,
however often the event is delivered.
"""

from __future__ import annotations

from careops.automation import templates
from careops.automation.service import effective
from careops.errors import NotFound
from careops.workspaces.service import get_workspace


def recipient(workspace_id: str) -> str | None:
    from careops.auth import service as auth

    workspace = get_workspace(workspace_id)
    if workspace.contact_email:
        return workspace.contact_email
    return auth.owner_email(workspace_id)


def send_inventory_alert(workspace_id: str, event_id: str, item_id: str, quantity: float, threshold: float):
    """Queue the rule's message for this crossing (``quantity`` and ``threshold`` as they were then) unless the rule is off; the Message or None. Not committed."""
    from careops.inbox.sending import send_system_message
    from careops.inventory import service as inventory
    from careops.inventory.ledger import show

    rule = effective(workspace_id, "inventory_alert")
    to = recipient(workspace_id)
    try:
        item = inventory.get_stock(workspace_id, item_id)
    except NotFound:
        item = None  # deleted since the event: nothing to tell
    if not rule["enabled"] or not rule["template"] or not to or item is None:
        return None
    values = {
        "business": get_workspace(workspace_id).name,
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
