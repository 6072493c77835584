"""The business page, booking, its confirmation and the manage link's page.

Booking, cancelling and moving go through :mod:`careops.bookings.service` and
:mod:`careops.bookings.manage` exactly as the public JSON API does; a refusal
(the time was just taken, the minimum notice has passed) is shown in words on
the page it came from.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response, redirect, request, url_for

from careops.bookings import ics, manage
from careops.bookings import service as bookings
from careops.bookings.schemas import PublicBookingCreateSchema, RescheduleSchema
from careops.db import utcnow
from careops.errors import Conflict, NotFound, ValidationFailed
from careops.http import public_rate_limit
from careops.pages import csrf
from careops.pages.picker import parse_start, pick
from careops.pages.site import on_accent, remember_workspace, render, site, zone_label
from careops.services import service as services
from careops.workspaces.service import ensure_active, get_by_slug, get_contact_form

SLOT_TAKEN = "Sorry, that time was just taken. Please pick another time."
BOOKING_FIELDS = ("name", "email", "phone", "notes")


def active_workspace(slug: str):
    """The workspace of a public page; remembered first so a "not yet" page can still name it."""
    workspace = get_by_slug(slug)
    remember_workspace(workspace)
    return ensure_active(workspace)


def _managed(token: str):
    workspace, booking = manage.by_token(token)
    remember_workspace(workspace)
    return workspace, booking, services.get(workspace.id, booking.service_id)


def _filled(names) -> dict:
    """The posted values of ``names``, blanks left out (a browser sends "" for an empty field)."""
    return {name: request.form[name].strip() for name in names if request.form.get(name, "").strip()}


def _words(error: Conflict) -> str:
    return SLOT_TAKEN if error.error_code == "SLOT_UNAVAILABLE" else error.detail


@site.route("/<slug>", methods=["GET"])
@public_rate_limit
def business(slug):
    workspace = active_workspace(slug)
    return render(
        "business.html",
        workspace=workspace,
        services=services.active_services(workspace.id),
        contact_form=get_contact_form(workspace.id),
        values={},
        errors={},
    )


@site.route("/<slug>/accent.css", methods=["GET"])
@public_rate_limit
def accent_css(slug):
    """The workspace's accent colour as a stylesheet: the pages' CSP allows no inline style."""
    workspace = get_by_slug(slug)
    if not workspace.accent_color:
        raise NotFound("No accent colour")
    css = f":root {{ --accent: {workspace.accent_color}; --on-accent: {on_accent(workspace.accent_color)}; }}\n"
    return Response(css, mimetype="text/css", headers={"Cache-Control": "public, max-age=3600"})


@site.route("/<slug>/book/<service_id>", methods=["GET"])
@public_rate_limit
def book_page(slug, service_id):
    return _book_page(slug, service_id, values={}, errors={}, alert=None, status=200, args=request.args)


def _book_page(slug, service_id, *, values, errors, alert, status, args):
    workspace = active_workspace(slug)
    offered = services.get_active(workspace.id, service_id)
    picker = pick(workspace, offered, args)
    return render(
        "book.html",
        status,
        workspace=workspace,
        service=offered,
        picker=picker,
        values=values,
        errors=errors,
        alert=alert,
        zone=zone_label(workspace.timezone, picker.start),
    )


@site.route("/<slug>/book/<service_id>", methods=["POST"])
@public_rate_limit
def book(slug, service_id):
    csrf.check()
    workspace = active_workspace(slug)
    offered = services.get_active(workspace.id, service_id)
    values = _filled(BOOKING_FIELDS)
    start_text = request.form.get("start", "")
    start = parse_start(start_text)
    day = start.date().isoformat() if start else ""  # the time links carry the workspace's offset
    args = {"day": day, "start": start_text}
    try:
        data = PublicBookingCreateSchema().load({"service_id": offered.id, "start": start_text, **values})
    except ma.ValidationError as exc:
        return _book_page(slug, service_id, values=values, errors=exc.messages, alert=None, status=422, args=args)
    contact = {"name": data["name"], "email": data.get("email"), "phone": data.get("phone")}
    try:
        _booking, token = bookings.book(
            workspace.id,
            service_id=offered.id,
            start=data["start"],
            contact=contact,
            notes=data.get("notes"),
            source="public",
            public=True,
            with_manage_token=True,
        )
    except ValidationFailed as exc:
        return _book_page(slug, service_id, values=values, errors=exc.errors or {}, alert=None, status=422, args=args)
    except Conflict as exc:
        # The details stay filled in; only the time has to be picked again.
        return _book_page(slug, service_id, values=values, errors={}, alert=_words(exc), status=409, args={"day": day})
    return redirect(url_for("pages.manage_confirmation", token=token), code=303)


@site.route("/manage/<token>/confirmation", methods=["GET"])
@public_rate_limit
def manage_confirmation(token):
    workspace, booking, booked = _managed(token)
    return render(
        "confirmation.html",
        workspace=workspace,
        booking=booking,
        service=booked,
        token=token,
        manage_link=manage.manage_url(token),
        zone=zone_label(workspace.timezone, booking.start),
    )


@site.route("/manage/<token>/calendar.ics", methods=["GET"])
@public_rate_limit
def manage_ics(token):
    workspace, booking, _ = _managed(token)
    return Response(
        ics.booking_ics(workspace.id, booking.id),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )


@site.route("/manage/<token>", methods=["GET"])
@public_rate_limit
def manage_page(token):
    return _manage_page(token, alert=None, errors={}, status=200, args=request.args)


def _manage_page(token, *, alert, errors, status, args):
    workspace, booking, booked = _managed(token)
    deadline = manage.change_deadline(booking)
    changeable = bookings.holds_slot(booking) and utcnow() <= deadline
    picker = pick(workspace, booked, args, exclude_booking_id=booking.id) if changeable and booked.is_active else None
    done = {"cancelled": "Your booking is cancelled.", "moved": "Your booking has been moved."}.get(
        request.args.get("done", "")
    )
    return render(
        "manage.html",
        status,
        workspace=workspace,
        booking=booking,
        service=booked,
        token=token,
        changeable=changeable,
        deadline=deadline,
        picker=picker,
        alert=alert,
        errors=errors,
        done=done,
        zone=zone_label(workspace.timezone, booking.start),
    )


@site.route("/manage/<token>/cancel", methods=["POST"])
@public_rate_limit
def manage_cancel(token):
    csrf.check()
    try:
        manage.cancel(token)
    except Conflict as exc:
        return _manage_page(token, alert=_words(exc), errors={}, status=409, args={})
    return redirect(url_for("pages.manage_page", token=token, done="cancelled"), code=303)


@site.route("/manage/<token>/reschedule", methods=["POST"])
@public_rate_limit
def manage_reschedule(token):
    csrf.check()
    start_text = request.form.get("start", "")
    start = parse_start(start_text)
    try:
        data = RescheduleSchema().load({"start": start_text})
    except ma.ValidationError:
        return _manage_page(
            token, alert=None, errors={"start": ["Pick a day and a new time first."]}, status=422, args={}
        )
    try:
        manage.reschedule(token, data["start"])
    except Conflict as exc:
        day = start.date().isoformat() if start else ""
        return _manage_page(token, alert=_words(exc), errors={}, status=409, args={"day": day})
    return redirect(url_for("pages.manage_page", token=token, done="moved"), code=303)
