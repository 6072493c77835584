"""/api/v1/bookings (staff need ``bookings``) and the owner's calendar-feed token.

The public endpoints live in :mod:`careops.bookings.public_views` (``public_blp``).
"""

from flask import jsonify

from careops.bookings import (
    demo,  # noqa: F401 - registers the demo step
    ics,
    service,
)
from careops.bookings.public_views import public_blp  # noqa: F401 - registered by create_app
from careops.bookings.schemas import (
    BookingCreateSchema,
    BookingPatchSchema,
    BookingQuerySchema,
    BookingSchema,
    CalendarTokenSchema,
    StatusSchema,
    as_dict,
    as_json,
    forms_of,
)
from careops.db import WorkspaceRepository
from careops.http import Blueprint
from careops.idempotency import idempotent
from careops.messaging import public_url
from careops.security import current_workspace_id
from careops.workspaces.service import get_workspace

blp = Blueprint(
    "bookings", __name__, url_prefix="/api/v1", description="Bookings: list, book, move, status; never a double booking"
)


@blp.route("/bookings", methods=["GET"])
@blp.protected(permission="bookings")
@blp.arguments(BookingQuerySchema, location="query")
@blp.response(200, BookingSchema(many=True))
@blp.paginate()
def list_bookings(query, pagination_parameters):
    """Sorted by start. ``from``/``to`` are workspace dates (inclusive); ``day=today`` is today's."""
    workspace_id = current_workspace_id()
    tz = service.workspace_tz(workspace_id)
    rows = WorkspaceRepository(workspace_id).page(
        service.listing(workspace_id, query, tz=tz),
        pagination_parameters,
        cached_total=service.cached_total(workspace_id, query, tz),
    )
    # Built here rather than dumped through BookingSchema (which still documents it,
    # and a test keeps the two equal): marshmallow's per-field dump was a tenth of
    # this endpoint's time. The page's forms in one query: read per booking, they
    # were 20 of the page's 25 statements.
    forms = forms_of(workspace_id, [b.id for b in rows])
    return jsonify([as_json(b, tz, forms[b.id]) for b in rows])


@blp.route("/bookings", methods=["POST"])
@blp.protected(permission="bookings")
@idempotent
@blp.arguments(BookingCreateSchema)
@blp.response(201, BookingSchema)
@blp.errors(400, 404, 409)
def create_booking(data):
    """Book for a contact (``contact_id``, or ``contact`` found by email/phone or created).

    The time must be free on every resource of the service (409 ``SLOT_UNAVAILABLE``);
    minimum notice, horizon and opening hours do not bind staff.
    """
    workspace_id = current_workspace_id()
    booking, _ = service.book(workspace_id, public=False, source="staff", **data)
    return as_dict(booking, service.workspace_tz(workspace_id))


@blp.route("/bookings/<booking_id>", methods=["GET"])
@blp.protected(permission="bookings")
@blp.response(200, BookingSchema)
@blp.errors(404)
def get_booking(booking_id):
    workspace_id = current_workspace_id()
    return as_dict(service.get(workspace_id, booking_id), service.workspace_tz(workspace_id))


@blp.route("/bookings/<booking_id>", methods=["PATCH"])
@blp.protected(permission="bookings")
@blp.arguments(BookingPatchSchema)
@blp.response(200, BookingSchema)
@blp.errors(400, 404, 409)
def patch_booking(data, booking_id):
    """A new ``start`` is checked like a staff booking (409 ``SLOT_UNAVAILABLE``); ``notes`` are replaced."""
    workspace_id = current_workspace_id()
    return as_dict(service.update(workspace_id, booking_id, data), service.workspace_tz(workspace_id))


@blp.route("/bookings/<booking_id>/status", methods=["POST"])
@blp.protected(permission="bookings")
@blp.arguments(StatusSchema)
@blp.response(200, BookingSchema)
@blp.errors(400, 404, 409)
def set_status(data, booking_id):
    """``pending→confirmed|cancelled``, ``confirmed→completed|no_show|cancelled``; else 409 ``INVALID_TRANSITION``."""
    workspace_id = current_workspace_id()
    return as_dict(service.set_status(workspace_id, booking_id, data["status"]), service.workspace_tz(workspace_id))


@blp.route("/workspace/calendar-token", methods=["POST"])
@blp.protected(owner=True)
@blp.response(201, CalendarTokenSchema)
def rotate_calendar_token():
    """A new token for the workspace's iCalendar feed; the previous one stops working."""
    workspace = get_workspace(current_workspace_id())
    token = ics.rotate_calendar_token(workspace.id)
    return {"token": token, "url": public_url(f"/api/v1/public/{workspace.slug}/calendar.ics?token={token}")}
