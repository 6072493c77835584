"""Schemas of /dashboard (API.md's shape; a section the caller has no permission for is null)."""

import marshmallow as ma

from careops.bookings.schemas import BookingSchema


class BookingCountsSchema(ma.Schema):
    today = ma.fields.Integer(metadata={"description": "Today's bookings (workspace day), cancelled excluded"})
    upcoming_7d = ma.fields.Integer(metadata={"description": "Pending or confirmed, starting in the next 7 days"})
    pending_confirmation = ma.fields.Integer(metadata={"description": "Every booking still waiting for confirmation"})
    no_show_today = ma.fields.Integer()
    completed_today = ma.fields.Integer()


class InboxCountsSchema(ma.Schema):
    new_inquiries_24h = ma.fields.Integer(metadata={"description": "Customer messages received in the last 24 hours"})
    unanswered = ma.fields.Integer(metadata={"description": "Open conversations whose customer awaits a staff reply"})
    open = ma.fields.Integer()


class FormCountsSchema(ma.Schema):
    pending = ma.fields.Integer()
    overdue = ma.fields.Integer()
    completed_7d = ma.fields.Integer()


class InventoryCountsSchema(ma.Schema):
    low = ma.fields.Integer(metadata={"description": "Items above zero but at or below their threshold"})
    out = ma.fields.Integer(metadata={"description": "Items with nothing left"})


class AlertCountsSchema(ma.Schema):
    open = ma.fields.Integer(metadata={"description": "Open alerts the caller may see"})
    critical = ma.fields.Integer()


class DashboardSchema(ma.Schema):
    generated_at = ma.fields.DateTime(metadata={"description": "Now, in the workspace's time zone"})
    bookings = ma.fields.Nested(
        BookingCountsSchema, allow_none=True, metadata={"description": "null without the bookings permission"}
    )
    inbox = ma.fields.Nested(
        InboxCountsSchema, allow_none=True, metadata={"description": "null without the inbox permission"}
    )
    forms = ma.fields.Nested(
        FormCountsSchema, allow_none=True, metadata={"description": "null without the forms permission"}
    )
    inventory = ma.fields.Nested(
        InventoryCountsSchema, allow_none=True, metadata={"description": "null without the inventory permission"}
    )
    alerts = ma.fields.Nested(AlertCountsSchema)
    today = ma.fields.List(
        ma.fields.Nested(BookingSchema),
        metadata={
            "description": "Today's bookings (workspace day, cancelled excluded) by start; empty without the "
            "bookings permission"
        },
    )
