"""Form submissions: sent after a booking, filled by the customer, reminded and marked overdue.

Public functions other domains and the HTML pages call:

- :func:`public_form` ``(token) -> dict`` — the form behind a customer's link:
  its fields as sent, the booking summary, ``status`` and ``fillable``;
- :func:`submit_by_token` ``(token, data) -> dict`` — checks and stores the
  answers (:class:`~careops.forms.answers.FormInvalid`, a 422 whose
  ``field_errors`` maps each field key to its messages; 409 when already
  submitted or the booking is cancelled; 404 for an unknown link);
- :func:`send_for_booking`, :func:`sweep_overdue` — the automation;
- :func:`booking_forms`, :func:`contact_forms`, :func:`counts` — read models.

A submission is created once per (booking, template) — a unique constraint,
written with ``INSERT … ON CONFLICT DO NOTHING`` — and every status change is
a compare-and-set, so duplicate events, two workers or a double click change
nothing twice.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from careops import events, scoping
from careops.bookings import service as bookings
from careops.db import WorkspaceRepository, insert_or_ignore, new_id, utcnow
from careops.errors import Conflict, NotFound
from careops.event_types import FormOverdue, FormSent, FormSubmitted
from careops.extensions import db
from careops.forms.answers import check_answers
from careops.forms.models import OPEN, FormAccessToken, FormSubmission, FormTemplate
from careops.security import token_digest
from careops.services import service as services

if TYPE_CHECKING:
    from careops.workspaces.models import Workspace

log = logging.getLogger(__name__)
ALERT_KIND, ENTITY = "overdue_form", "form_submission"


class FormClosed(Conflict):
    """409: the form was submitted already, or its booking was cancelled."""


def api_path(submission_id: str) -> str:
    return f"/api/v1/form-submissions/{submission_id}"


def form_url(token: str) -> str:
    """The customer's page for a token: ``{CAREOPS_PUBLIC_URL}/forms/{token}``."""
    from careops.messaging import public_url

    return public_url(f"/forms/{token}")


def issue_token(submission: FormSubmission) -> str:
    """A new raw link token for the submission (its hash is added to the session, not committed)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        FormAccessToken(
            workspace_id=submission.workspace_id, submission_id=submission.id, token_hash=token_digest(token)
        )
    )
    return token


# --- sending -------------------------------------------------------------------------------------


def send_for_booking(workspace_id: str, booking_id: str, now: datetime | None = None) -> list[str]:
    """One pending submission per active template of the booking's service, each linked once. Not committed.

    Returns the ids created now (none when they exist already, the booking is
    no longer held, or the ``form_request`` rule is off).
    """
    from careops.automation import form_messages

    if not form_messages.enabled(workspace_id, "form_request"):
        return []
    repo = WorkspaceRepository(workspace_id)
    booking = bookings.get(workspace_id, booking_id)
    if not bookings.holds_slot(booking):
        return []
    template_ids = list(services.get(workspace_id, booking.service_id).form_template_ids or [])
    templates = (
        {t.id: t for t in repo.all(FormTemplate, FormTemplate.id.in_(template_ids), FormTemplate.is_active.is_(True))}
        if template_ids
        else {}
    )
    now = now or utcnow()
    created = []
    for position, template in enumerate(templates[i] for i in template_ids if i in templates):
        submission_id = new_id()
        if not insert_or_ignore(
            FormSubmission,
            {
                "id": submission_id,
                "workspace_id": workspace_id,
                "template_id": template.id,
                "booking_id": booking.id,
                "contact_id": booking.contact_id,
                "name": template.name,
                "fields": template.fields,
                "template_version": template.version,
                "status": "pending",
                "sent_at": now,
                "due_at": now + timedelta(hours=template.due_after_hours),
                "created_at": now + timedelta(microseconds=position),
            },
        ):  # lists show the service's order
            continue  # sent before: a second delivery of the event
        submission = db.session.get(FormSubmission, submission_id)
        form_messages.request(workspace_id, booking, submission, form_url(issue_token(submission)))
        events.emit(FormSent(submission_id=submission.id, booking_id=booking.id), workspace_id)
        created.append(submission_id)
    return created


def close_for_cancelled_booking(workspace_id: str, booking_id: str) -> int:
    """A cancelled booking's overdue forms need no one's attention any more: resolve their alerts. Not committed."""
    from careops.alerts.service import resolve_for

    ids = list(
        db.session.scalars(
            sa.select(FormSubmission.id).where(
                *WorkspaceRepository(workspace_id).criteria(FormSubmission),
                FormSubmission.booking_id == booking_id,
                FormSubmission.status == "overdue",
            )
        )
    )
    return sum(resolve_for(workspace_id, ALERT_KIND, ENTITY, submission_id) for submission_id in ids)


# --- reminders and overdue -----------------------------------------------------------------------


def sweep_overdue(now: datetime | None = None) -> int:
    """Mark every pending submission past its due time overdue (remind once, alert, emit); how many changed."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            bookings.join_not_cancelled(sa.select(FormSubmission.id), FormSubmission.booking_id)
            .where(FormSubmission.status == "pending", FormSubmission.due_at <= now)
            .order_by(FormSubmission.due_at)
            .limit(500)
        )
    )
    db.session.rollback()
    changed = 0
    for submission_id in ids:
        try:
            changed += mark_overdue(submission_id, now)
        except Exception:  # noqa: BLE001 - one broken submission must not stop the others
            db.session.rollback()
            log.exception("overdue form %s could not be processed", submission_id)
    return changed


def mark_overdue(submission_id: str, now: datetime | None = None) -> bool:
    """pending → overdue (compare-and-set), with one ``form_reminder``, an alert and ``form_overdue``. Commits."""
    from careops.alerts.service import raise_alert
    from careops.automation import form_messages

    now = now or utcnow()
    changed = db.session.execute(
        sa.update(FormSubmission)
        .where(FormSubmission.id == submission_id, FormSubmission.status == "pending", FormSubmission.due_at <= now)
        .values(status="overdue", reminded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        return False
    submission = db.session.get(FormSubmission, submission_id)
    db.session.refresh(submission)
    workspace_id = submission.workspace_id
    booking = bookings.get(workspace_id, submission.booking_id)
    if form_messages.enabled(workspace_id, "form_reminder"):
        form_messages.reminder(workspace_id, booking, submission, form_url(issue_token(submission)))
    raise_alert(
        workspace_id,
        kind=ALERT_KIND,
        title=f"Form not filled in: {submission.name}",
        detail=f"{submission.name} for booking {booking.reference} was due "
        f"{submission.due_at.isoformat()} and is still not filled in.",
        link=api_path(submission.id),
        entity_type=ENTITY,
        entity_id=submission.id,
    )
    events.emit(FormOverdue(submission_id=submission.id), workspace_id)
    db.session.commit()
    return True


# --- the customer's side -------------------------------------------------------------------------


def _by_token(token: str) -> tuple[Workspace, FormSubmission]:
    from careops.workspaces.service import ensure_active, get_workspace

    row = None
    if isinstance(token, str) and 20 <= len(token) <= 128:
        with scoping.unscoped():  # the token tells which workspace this is
            row = db.session.scalars(
                sa.select(FormAccessToken).where(FormAccessToken.token_hash == token_digest(token))
            ).first()
    if row is None:
        raise NotFound("No form for this link")
    scoping.bind_workspace(row.workspace_id)
    workspace = ensure_active(get_workspace(row.workspace_id))
    return workspace, WorkspaceRepository(workspace.id).get(FormSubmission, row.submission_id)


def _public(workspace: Workspace, submission: FormSubmission) -> dict:
    tz = ZoneInfo(workspace.timezone)
    booking = bookings.get_by_id(submission.booking_id)
    service = services.get(workspace.id, booking.service_id)
    template = db.session.get(FormTemplate, submission.template_id)
    return {
        "name": submission.name,
        "description": template.description if template else None,
        "fields": submission.fields,
        "status": submission.status,
        "fillable": submission.status in OPEN and booking.status != "cancelled",
        "due_at": submission.due_at.astimezone(tz),
        "completed_at": submission.completed_at.astimezone(tz) if submission.completed_at else None,
        "booking": {
            "reference": booking.reference,
            "start": booking.start.astimezone(tz),
            "end": booking.end.astimezone(tz),
            "status": booking.status,
            "service": service.name,
            "location": service.location,
        },
        "business": {"name": workspace.name, "slug": workspace.slug, "timezone": workspace.timezone},
    }


def public_form(token: str) -> dict:
    """The form behind a link (see :class:`~careops.forms.schemas.PublicFormSchema`); 404 unknown, 409 inactive."""
    return _public(*_by_token(token))


def submit_by_token(token: str, data: dict) -> dict:
    """Store the customer's answers once; the form as :func:`public_form` then shows it. Commits.

    Raises ``FormInvalid`` (422, per field), :class:`FormClosed` (409: submitted
    already, booking cancelled), ``NotFound`` (404) or 409 ``WORKSPACE_NOT_ACTIVE``.
    """
    from careops.alerts.service import resolve_for

    workspace, submission = _by_token(token)
    booking = bookings.get_by_id(submission.booking_id)
    if booking.status == "cancelled":
        raise FormClosed("This booking was cancelled; its forms can no longer be filled in")
    if submission.status not in OPEN:
        raise FormClosed("This form has already been submitted")
    answers = check_answers(submission.fields, data, workspace.country)
    now = utcnow()
    changed = db.session.execute(
        sa.update(FormSubmission)
        .where(FormSubmission.id == submission.id, FormSubmission.status.in_(OPEN))
        .values(status="completed", data=answers, completed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:  # a concurrent submit won
        db.session.rollback()
        raise FormClosed("This form has already been submitted")
    resolve_for(workspace.id, ALERT_KIND, ENTITY, submission.id)
    events.emit(FormSubmitted(submission_id=submission.id), workspace.id)
    db.session.commit()
    db.session.refresh(submission)
    return _public(workspace, submission)


# --- the staff's side ----------------------------------------------------------------------------


def listing(workspace_id: str, filters: dict) -> sa.Select:
    """Submissions matching ``status``, ``booking_id``, ``contact_id``, ``template_id``; newest first."""
    criteria = [
        getattr(FormSubmission, key) == filters[key]
        for key in ("status", "booking_id", "contact_id", "template_id")
        if filters.get(key)
    ]
    return (
        WorkspaceRepository(workspace_id)
        .select(FormSubmission, *criteria)
        .order_by(FormSubmission.sent_at.desc(), FormSubmission.created_at, FormSubmission.id)
    )


def get(workspace_id: str, submission_id: str) -> FormSubmission:
    return WorkspaceRepository(workspace_id).get(FormSubmission, submission_id)


def booking_forms(workspace_id: str, booking_id: str) -> list[dict]:
    """A booking's forms: ``[{id, template_id, name, status, due_at}]`` in the order they were sent."""
    rows = db.session.execute(
        sa.select(
            FormSubmission.id,
            FormSubmission.template_id,
            FormSubmission.name,
            FormSubmission.status,
            FormSubmission.due_at,
        )
        .where(*WorkspaceRepository(workspace_id).criteria(FormSubmission), FormSubmission.booking_id == booking_id)
        .order_by(FormSubmission.created_at, FormSubmission.id)
    )
    return [
        {"id": r.id, "template_id": r.template_id, "name": r.name, "status": r.status, "due_at": r.due_at} for r in rows
    ]


def forms_by_booking(workspace_id: str, booking_ids: list[str]) -> dict[str, list[dict]]:
    """:func:`booking_forms` for a page of bookings in one query: ``{booking id: [form, ...]}``.

    Every id is a key (an empty list when the booking has no form), so a list
    of bookings costs one statement instead of one per booking.
    """
    forms: dict[str, list[dict]] = {booking_id: [] for booking_id in booking_ids}
    if not booking_ids:
        return forms
    rows = db.session.execute(
        sa.select(
            FormSubmission.booking_id,
            FormSubmission.id,
            FormSubmission.template_id,
            FormSubmission.name,
            FormSubmission.status,
            FormSubmission.due_at,
        )
        .where(*WorkspaceRepository(workspace_id).criteria(FormSubmission), FormSubmission.booking_id.in_(booking_ids))
        .order_by(FormSubmission.created_at, FormSubmission.id)
    )
    for r in rows:
        forms[r.booking_id].append(
            {"id": r.id, "template_id": r.template_id, "name": r.name, "status": r.status, "due_at": r.due_at}
        )
    return forms


RECENT_FORMS = 20


def contact_forms(workspace_id: str, contact_id: str) -> list[FormSubmission]:
    """A contact's most recent forms (the answers are read from ``data`` once completed)."""
    return list(
        db.session.scalars(
            WorkspaceRepository(workspace_id)
            .select(FormSubmission, FormSubmission.contact_id == contact_id)
            .order_by(FormSubmission.sent_at.desc(), FormSubmission.created_at, FormSubmission.id)
            .limit(RECENT_FORMS)
        )
    )


def counts(workspace_id: str, now: datetime | None = None) -> dict:
    """``{pending, overdue, completed_7d}`` for the dashboard, in one query."""
    now = now or utcnow()
    status = FormSubmission.status
    recent = sa.and_(status == "completed", FormSubmission.completed_at >= now - timedelta(days=7))
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(status == "pending").label("pending"),
            sa.func.count().filter(status == "overdue").label("overdue"),
            sa.func.count().filter(recent).label("completed_7d"),
        )
        .select_from(FormSubmission)  # the entity the tenant scope filters
        .where(*WorkspaceRepository(workspace_id).criteria(FormSubmission))
    ).one()
    return {"pending": row.pending, "overdue": row.overdue, "completed_7d": row.completed_7d}
