"""Manage links: the customer's tokens to view, cancel and move a booking without logging in.

Tokens are random, shown once, and stored as their sha256 only; a booking may
have several (one per confirmation email, say). Messaging puts a link in its
emails with :func:`issue_manage_token`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from careops import scoping
from careops.bookings import service as bookings
from careops.bookings.models import HOLDING, Booking, BookingManageToken
from careops.db import WorkspaceRepository, utcnow
from careops.errors import Conflict, NotFound
from careops.extensions import db
from careops.security import token_digest

if TYPE_CHECKING:
    from careops.services.models import Service
    from careops.workspaces.models import Workspace


def issue_manage_token(workspace_id: str, booking_id: str) -> str:
    """A new raw manage token for the booking (NotFound if it is not in the workspace).

    Added to the current transaction, not committed: the caller's commit (or the
    event dispatcher's, in a receiver) makes it valid.
    """
    token = new_manage_token(WorkspaceRepository(workspace_id).get(Booking, booking_id))
    db.session.flush()
    return token


def new_manage_token(booking: Booking) -> str:
    """A new raw manage token for a booking the caller holds (no look-up; written at the next flush)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        BookingManageToken(workspace_id=booking.workspace_id, booking=booking, token_hash=token_digest(token))
    )
    return token


def manage_url(token: str) -> str:
    """The page a customer opens to see, cancel or move the booking (careops/pages).

    API clients holding the token keep using ``/api/v1/public/bookings/{token}``.
    """
    from careops.messaging import public_url

    return public_url(f"/manage/{token}")


def by_token(token: str) -> tuple[Workspace, Booking]:
    """The booking behind a manage token; 404 for an unknown token, 409 before activation."""
    from careops.workspaces.service import ensure_active, get_workspace

    row = None
    if isinstance(token, str) and 20 <= len(token) <= 128:
        with scoping.unscoped():  # the token tells which workspace this is
            row = db.session.scalars(
                sa.select(BookingManageToken).where(BookingManageToken.token_hash == token_digest(token))
            ).first()
    if row is None:
        raise NotFound("No booking for this link")
    scoping.bind_workspace(row.workspace_id)
    workspace = ensure_active(get_workspace(row.workspace_id))
    return workspace, WorkspaceRepository(workspace.id).get(Booking, row.booking_id)


def change_deadline(booking: Booking, service: Service | None = None) -> datetime:
    """Until when a customer may cancel or move the booking online: the service's minimum notice.

    ``service``: the booking's service when the caller holds it (read here otherwise).
    """
    from careops.services import service as services

    service = service or services.get(booking.workspace_id, booking.service_id)
    return booking.start - timedelta(minutes=service.min_notice_minutes)


def _check_changeable(booking: Booking, verb: str) -> None:
    if booking.status not in HOLDING:
        raise bookings.InvalidTransition(f"A {booking.status} booking cannot be {verb} online")
    if utcnow() > change_deadline(booking):
        raise Conflict(f"This booking can no longer be {verb} online; please contact the business")


def cancel(token: str) -> tuple[Workspace, Booking]:
    workspace, booking = by_token(token)
    _check_changeable(booking, "cancelled")
    return workspace, bookings.set_status(workspace.id, booking.id, "cancelled", by="customer")


def reschedule(token: str, start: datetime) -> tuple[Workspace, Booking]:
    workspace, booking = by_token(token)
    _check_changeable(booking, "moved")
    return workspace, bookings.reschedule(workspace.id, booking.id, start, public=True)
