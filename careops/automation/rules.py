"""The fixed automation rules: their defaults and the placeholders each template may use."""
from __future__ import annotations

from dataclasses import dataclass

CONTACT = ("contact_name", "business")
BOOKING = CONTACT + ("service", "start", "reference", "manage_link", "location")
FORM = BOOKING + ("form_name", "form_link")
INVENTORY = ("business", "item_name", "quantity", "unit", "threshold")


@dataclass(frozen=True)
class Rule:
    key: str
    description: str
    channel: str | None = "email"  # None: the rule sends nothing itself
    subject: str | None = None
    template: str | None = None
    offset_minutes: int | None = None  # reminders only
    placeholders: tuple[str, ...] = ()


RULES: dict[str, Rule] = {r.key: r for r in (
    Rule("welcome_contact", "A new contact through the public contact form",
         subject="Thanks for contacting {business}",
         template="Hi {contact_name},\n\nThanks for getting in touch with {business}. "
                  "We have your message and will get back to you shortly.",
         placeholders=CONTACT),
    Rule("booking_confirmation", "A booking is created (public or staff)",
         subject="Your booking {reference}: {service} on {start}",
         template="Hi {contact_name},\n\nThank you for booking {service} with {business} on {start} "
                  "(reference {reference}).\n\nTo reschedule or cancel: {manage_link}",
         placeholders=BOOKING),
    Rule("booking_reminder", "offset_minutes before a confirmed booking",
         subject="Reminder: {service} on {start}",
         template="Hi {contact_name},\n\nThis is a reminder of your {service} with {business} on {start} "
                  "(reference {reference}).\n\nTo reschedule or cancel: {manage_link}",
         offset_minutes=1440, placeholders=BOOKING),
    Rule("booking_reminder_short", "offset_minutes before a confirmed booking (a second, shorter reminder)",
         subject="See you soon: {service} at {start}",
         template="Hi {contact_name}, see you soon for {service} at {business} on {start}. "
                  "Manage your booking: {manage_link}",
         offset_minutes=120, placeholders=BOOKING),
    Rule("form_request", "A booking is created for a service with forms: one link per form",
         subject="Please fill in: {form_name}",
         template="Hi {contact_name},\n\nBefore your {service} on {start}, please fill in {form_name}: {form_link}",
         placeholders=FORM),
    Rule("form_reminder", "A form still pending due_after_hours after it was sent",
         subject="Reminder: please fill in {form_name}",
         template="Hi {contact_name},\n\nWe have not received {form_name} yet. Please fill it in: {form_link}",
         placeholders=FORM),
    Rule("inventory_alert", "An item falls to or below its threshold (to the owner)",
         subject="Low stock: {item_name}",
         template="{item_name} is down to {quantity} {unit} (threshold {threshold}).",
         placeholders=INVENTORY),
    Rule("staff_reply_pause", "A staff reply pauses every automated message to that contact until resumed",
         channel=None),
)}
