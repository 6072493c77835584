"""Alerts that resolve themselves: a staff reply answers a missed message, a decision settles a booking.

Receivers run in the event dispatcher's transaction and must not commit.
"""

from careops import events
from careops.alerts.service import resolve_for


def on_staff_replied(sender, *, workspace_id, conversation_id, **_):
    resolve_for(workspace_id, "missed_message", "conversation", conversation_id)


def on_booking_status_changed(sender, *, workspace_id, booking_id, new_status, **_):
    if new_status != "pending":
        resolve_for(workspace_id, "unconfirmed_booking", "booking", booking_id)


events.staff_replied.connect(on_staff_replied)
events.booking_status_changed.connect(on_booking_status_changed)
