"""/api/v1/public: slots, booking, manage links and the calendar feed — no login, rate limited."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Response, jsonify

from careops.bookings import ics, manage, offer, service
from careops.bookings.schemas import (
    CalendarFeedQuerySchema,
    PublicBookingCreatedSchema,
    PublicBookingCreateSchema,
    PublicBookingSchema,
    RescheduleSchema,
    SlotQuerySchema,
    SlotSchema,
    public_dict,
)
from careops.db import utcnow
from careops.errors import ValidationFailed
from careops.http import Blueprint, public_rate_limit
from careops.idempotency import idempotent
from careops.public.access import active_workspace, public_workspace
from careops.services import service as services

MAX_SLOT_DAYS = 62

public_blp = Blueprint(
    "public-bookings",
    __name__,
    url_prefix="/api/v1/public",
    description="Public booking: slots, booking, manage links, calendar feed",
)


@public_blp.route("/<slug>/services/<service_id>/slots", methods=["GET"])
@public_rate_limit
@active_workspace
@public_blp.arguments(SlotQuerySchema, location="query")
@public_blp.response(200, SlotSchema(many=True))
@public_blp.errors(404, 409, 429)
def slots(query, slug, service_id):
    """Bookable slots in workspace time, sorted; ``from``/``to`` are inclusive dates, at most 62 days."""
    workspace = public_workspace()
    tz = ZoneInfo(workspace.timezone)
    now = utcnow()
    first = query.get("from_") or now.astimezone(tz).date()
    last = query.get("to") or first + timedelta(days=6)
    if last < first:
        raise ValidationFailed({"to": ["'to' is before 'from'."]})
    if (last - first).days + 1 > MAX_SLOT_DAYS:
        raise ValidationFailed({"to": [f"At most {MAX_SLOT_DAYS} days at once."]})
    booked = services.get_active(workspace.id, service_id)
    # Built here rather than dumped through SlotSchema (which still documents it):
    # a 62-day range is thousands of slots, and marshmallow's per-field dump was
    # a third of this endpoint's time.
    return jsonify([s.public for s in offer.offered_slots(workspace.id, booked, first, last, tz, now)])


@public_blp.route("/<slug>/bookings", methods=["POST"])
@public_rate_limit
@active_workspace
@idempotent
@public_blp.arguments(PublicBookingCreateSchema)
@public_blp.response(201, PublicBookingCreatedSchema)
@public_blp.errors(400, 404, 409, 429)
def book(data, slug):
    """Book one of the offered slots; the contact is found by email/phone or created.

    Answers the booking and a ``manage_token`` (view, cancel, move). A time that is
    not offered (any more) → 409 ``SLOT_UNAVAILABLE``.
    """
    workspace = public_workspace()
    # Held for the answer; book() finds this same row in the session instead of reading it again.
    booked = services.get_active(workspace.id, data["service_id"])
    contact = {"name": data["name"], "email": data.get("email"), "phone": data.get("phone")}
    booking, token = service.book(
        workspace.id,
        service_id=booked.id,
        start=data["start"],
        contact=contact,
        notes=data.get("notes"),
        source="public",
        public=True,
        with_manage_token=True,
    )
    return {"booking": _public(workspace, booking, booked), "manage_token": token}


@public_blp.route("/bookings/<token>", methods=["GET"])
@public_rate_limit
@public_blp.response(200, PublicBookingSchema)
@public_blp.errors(404, 409, 429)
def get_managed(token):
    workspace, booking = manage.by_token(token)
    return _public(workspace, booking)


@public_blp.route("/bookings/<token>/cancel", methods=["POST"])
@public_rate_limit
@idempotent
@public_blp.response(200, PublicBookingSchema)
@public_blp.errors(404, 409, 429)
def cancel_managed(token):
    """Cancel until the service's minimum notice before the start (later → 409); the time is freed at once."""
    workspace, booking = manage.cancel(token)
    return _public(workspace, booking)


@public_blp.route("/bookings/<token>/reschedule", methods=["POST"])
@public_rate_limit
@idempotent
@public_blp.arguments(RescheduleSchema)
@public_blp.response(200, PublicBookingSchema)
@public_blp.errors(400, 404, 409, 429)
def reschedule_managed(data, token):
    """Move to another offered slot, until the minimum notice before the current start."""
    workspace, booking = manage.reschedule(token, data["start"])
    return _public(workspace, booking)


@public_blp.route("/<slug>/calendar.ics", methods=["GET"])
@public_rate_limit
@active_workspace
@public_blp.arguments(CalendarFeedQuerySchema, location="query")
@public_blp.response(200, description="iCalendar feed (text/calendar)", content_type="text/calendar")
@public_blp.errors(404, 409, 429)
def calendar_feed(query, slug):
    """The workspace's bookings; ``token`` comes from ``POST /workspace/calendar-token``."""
    workspace = public_workspace()
    ics.check_calendar_token(workspace, query["token"])
    return Response(
        ics.workspace_feed(workspace.id),
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'inline; filename="{workspace.slug}.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )


def _public(workspace, booking, booked=None) -> dict:
    booked = booked or services.get(workspace.id, booking.service_id)
    return public_dict(booking, booked, workspace, manage.change_deadline(booking, booked))
