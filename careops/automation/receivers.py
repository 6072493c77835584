"""Blinker receivers that turn domain events into automated messages.

They run in the event dispatcher's transaction (careops.events.deliver) and
must not commit. Each message is keyed (rule, subject, occurrence), so a
second delivery of an event sends nothing more. Also tells the inbox whether a
staff reply pauses automation (the ``staff_reply_pause`` rule).
"""

from careops import events
from careops.automation import booking_messages, contact_messages, inventory_messages
from careops.automation.service import rule_enabled
from careops.inbox.service import decide_reply_pause

CONTACT_FORM = "contact_form"


def on_contact_created(sender, *, workspace_id, contact_id, source, **_):
    if source == CONTACT_FORM:
        contact_messages.welcome(workspace_id, contact_id)


def on_booking_created(sender, *, workspace_id, booking_id, **_):
    booking_messages.confirm(workspace_id, booking_id)
    booking_messages.schedule_reminders(workspace_id, booking_id)


def on_booking_status_changed(sender, *, workspace_id, booking_id, new_status, **_):
    if new_status == "confirmed":  # a booking that waited for confirmation gets its reminders now
        booking_messages.schedule_reminders(workspace_id, booking_id)


def on_booking_rescheduled(sender, *, workspace_id, booking_id, **_):
    booking_messages.cancel_reminders(workspace_id, booking_id)
    booking_messages.schedule_reminders(workspace_id, booking_id)


def on_booking_cancelled(sender, *, workspace_id, booking_id, **_):
    booking_messages.cancel_reminders(workspace_id, booking_id)


def on_inventory_low(sender, *, workspace_id, event_id, item_id, quantity, threshold, **_):
    inventory_messages.send_inventory_alert(workspace_id, event_id, item_id, quantity, threshold)


events.contact_created.connect(on_contact_created)
events.booking_created.connect(on_booking_created)
events.booking_status_changed.connect(on_booking_status_changed)
events.booking_rescheduled.connect(on_booking_rescheduled)
events.booking_cancelled.connect(on_booking_cancelled)
events.inventory_low.connect(on_inventory_low)


def staff_reply_pauses(workspace_id: str) -> bool:
    """The inbox asks on every staff reply: is the ``staff_reply_pause`` rule on?"""
    return rule_enabled(workspace_id, "staff_reply_pause")


decide_reply_pause(staff_reply_pauses)
