"""Blinker receivers of the inventory domain: a completed booking uses its service's supplies.

Also decides which inventory items a service may name (for the services domain).

They run in the event dispatcher's transaction (:func:`careops.events.deliver`)
and must not commit; the dispatcher commits their work with the receipt.
"""

from careops import events
from careops.inventory.deductions import deduct_for_booking
from careops.inventory.service import unknown_item_ids
from careops.services import service as services


def on_booking_status_changed(sender, *, workspace_id, booking_id, new_status, **_):
    if new_status == "completed":
        deduct_for_booking(workspace_id, booking_id)


events.booking_status_changed.connect(on_booking_status_changed)

# The items a service uses must be the workspace's (services asks, inventory decides).
services.register_reference("inventory_usage", unknown_item_ids)
