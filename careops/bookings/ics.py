"""iCalendar: one booking as an attachment (:func:`booking_ics`) and the workspace's private feed.

The feed is opened by a per-workspace token that only the owner sees (when it
is rotated); the workspace stores its sha256 in ``calendar_token_hash``.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

from careops.bookings.models import Booking
from careops.contacts import service as contacts
from careops.db import WorkspaceRepository, utcnow
from careops.errors import NotFound
from careops.extensions import db
from careops.security import token_digest
from careops.services import service as services
from careops.workspaces import service as workspaces

if TYPE_CHECKING:
    from careops.services.models import Service
    from careops.workspaces.models import Workspace

PRODID = "-//CareOps//Bookings//EN"
#: The feed shows this much of the past, and everything ahead.
FEED_HISTORY = timedelta(days=90)
_ICS_STATUS = {
    "pending": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "cancelled": "CANCELLED",
    "completed": "CONFIRMED",
    "no_show": "CONFIRMED",
}


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _event(booking: Booking, service: Service, summary: str, description: str) -> Event:
    event = Event()
    event.add("uid", f"{booking.id}@careops")
    event.add("dtstamp", utcnow())
    event.add("dtstart", booking.start)
    event.add("dtend", booking.end)
    event.add("summary", summary)
    event.add("description", description)
    if service.location:
        event.add("location", service.location)
    event.add("status", _ICS_STATUS[booking.status])
    event.add("last-modified", booking.updated_at)
    return event


def booking_ics(workspace_id: str, booking_id: str) -> bytes:
    """The customer's view of one booking, as a ``text/calendar`` attachment for their confirmation."""
    repo = WorkspaceRepository(workspace_id)
    booking = repo.get(Booking, booking_id)
    service = services.get(workspace_id, booking.service_id)
    workspace = workspaces.get_workspace(workspace_id)
    cal = _calendar(workspace.name)
    cal.add("method", "PUBLISH")
    cal.add_component(
        _event(booking, service, f"{service.name} — {workspace.name}", f"Booking reference {booking.reference}")
    )
    return cal.to_ical()


def workspace_feed(workspace_id: str) -> bytes:
    """The business's own calendar: its bookings from 90 days ago on, with the customer's name."""
    repo = WorkspaceRepository(workspace_id)
    workspace = workspaces.get_workspace(workspace_id)
    bookings = repo.select(Booking, Booking.start >= utcnow() - FEED_HISTORY, Booking.status != "cancelled")
    # One query, its rows (booking, service, contact's name): the joins are the services' and contacts' own.
    stmt = contacts.with_contact_name(services.with_service(bookings, Booking.service_id), Booking.contact_id)
    rows = db.session.execute(stmt.order_by(Booking.start))
    cal = _calendar(workspace.name)
    for booking, service, contact_name in rows:
        notes = f"\n{booking.notes}" if booking.notes else ""
        cal.add_component(
            _event(
                booking, service, f"{service.name}: {contact_name}", f"{booking.reference} ({booking.status}){notes}"
            )
        )
    return cal.to_ical()


def rotate_calendar_token(workspace_id: str) -> str:
    """A new feed token; the previous one stops working. Committed."""
    token = secrets.token_urlsafe(32)
    workspaces.set_calendar_token_hash(workspace_id, token_digest(token))
    db.session.commit()
    return token


def check_calendar_token(workspace: Workspace, token: str | None) -> None:
    """NotFound unless ``token`` opens this workspace's feed (the feed's existence is not revealed)."""
    if (
        not token
        or not workspace.calendar_token_hash
        or len(token) > 128
        or not hmac.compare_digest(token_digest(token), workspace.calendar_token_hash)
    ):
        raise NotFound("No such calendar")
