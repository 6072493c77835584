"""The fixed automation rules: their defaults and the placeholders each template may use.

Each rule that sends a message has a template per channel: an email (subject
and body) and an SMS body. SMS templates are short — a reference, the local
time (``{start_short}``: ``Mon 30 Mar 09:00``) and a short link — so the
default confirmation fits in one or two GSM-7 segments
(``tests/automation/test_channel_templates.py``). Links in an SMS are short
links (``careops.public.short_links``); in an email, the full link.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTACT = ("contact_name", "business")
BOOKING = CONTACT + ("service", "start", "start_short", "reference", "manage_link", "location")
FORM = BOOKING + ("form_name", "form_link")
INVENTORY = ("business", "item_name", "quantity", "unit", "threshold")


@dataclass(frozen=True)
class Rule:
    key: str
    description: str
    channel: str | None = "email"  # None: the rule sends nothing itself
    subject: str | None = None
    template: str | None = None  # the email body (and the SMS body when there is no sms_template)
    sms_template: str | None = None
    offset_minutes: int | None = None  # reminders only
    placeholders: tuple[str, ...] = ()


RULES: dict[str, Rule] = {
    r.key: r
    for r in (
        Rule(
            "welcome_contact",
            "A new contact through the public contact form",
            subject="Thanks for contacting {business}",
            template="Hi {contact_name},\n\nThanks for getting in touch with {business}. "
            "We have your message and will get back to you shortly.",
            sms_template="{business}: thanks for your message. We will get back to you shortly.",
            placeholders=CONTACT,
        ),
        Rule(
            "booking_confirmation",
            "A booking is created (public or staff)",
            subject="Your booking {reference}: {service} on {start}",
            template="Hi {contact_name},\n\nThank you for booking {service} with {business} on {start} "
            "(reference {reference}).\n\nTo reschedule or cancel: {manage_link}",
            sms_template="{business}: {service} booked for {start_short}, ref {reference}. Manage: {manage_link}",
            placeholders=BOOKING,
        ),
        Rule(
            "booking_reminder",
            "offset_minutes before a confirmed booking",
            subject="Reminder: {service} on {start}",
            template="Hi {contact_name},\n\nThis is a reminder of your {service} with {business} on {start} "
            "(reference {reference}).\n\nTo reschedule or cancel: {manage_link}",
            sms_template="Reminder: {service} at {business} on {start_short}, ref {reference}. Manage: {manage_link}",
            offset_minutes=1440,
            placeholders=BOOKING,
        ),
        Rule(
            "booking_reminder_short",
            "offset_minutes before a confirmed booking (a second, shorter reminder)",
            subject="See you soon: {service} at {start}",
            template="Hi {contact_name}, see you soon for {service} at {business} on {start}. "
            "Manage your booking: {manage_link}",
            sms_template="See you soon: {service} at {business}, {start_short}. Manage: {manage_link}",
            offset_minutes=120,
            placeholders=BOOKING,
        ),
        Rule(
            "form_request",
            "A booking is created for a service with forms: one link per form",
            subject="Please fill in: {form_name}",
            template="Hi {contact_name},\n\nBefore your {service} on {start}, please fill in {form_name}: {form_link}",
            sms_template="{business}: before your visit on {start_short}, please fill in {form_name}: {form_link}",
            placeholders=FORM,
        ),
        Rule(
            "form_reminder",
            "A form still pending due_after_hours after it was sent",
            subject="Reminder: please fill in {form_name}",
            template="Hi {contact_name},\n\nWe have not received {form_name} yet. Please fill it in: {form_link}",
            sms_template="{business}: reminder to fill in {form_name}: {form_link}",
            placeholders=FORM,
        ),
        Rule(
            "inventory_alert",
            "An item falls to or below its threshold (to the owner)",
            subject="Low stock: {item_name}",
            template="{item_name} is down to {quantity} {unit} (threshold {threshold}).",
            sms_template="Low stock: {item_name} at {quantity} {unit} (threshold {threshold}).",
            placeholders=INVENTORY,
        ),
        Rule(
            "staff_reply_pause",
            "A staff reply pauses every automated message to that contact until resumed",
            channel=None,
        ),
    )
}
