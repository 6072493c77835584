"""Automated messages about a booking: the confirmation now, the reminders later.

The confirmation (``booking_confirmation:<booking>``) carries the start in the
workspace's timezone, a manage link and the booking as an .ics attachment.
Reminders are :class:`ScheduledAutomation` rows keyed
``<rule>:<booking>:<start>``: a moved booking gets new ones (the old ones are
cancelled), a cancelled booking keeps none, and a reminder whose time had
already passed when the booking was made or moved is not scheduled. When a
reminder fires it checks again: a booking cancelled, moved, not confirmed or
already started gets nothing, and neither does a paused conversation.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from careops import sweeps
from careops.after_commit import call_after_commit
from careops.automation.models import ScheduledAutomation
from careops.automation.service import effective, send_rule_message
from careops.db import WorkspaceRepository, insert_or_ignore, new_id, utcnow
from careops.errors import NotFound
from careops.extensions import db
from careops.workspaces.service import get_workspace

log = logging.getLogger(__name__)

REMINDERS = ("booking_reminder", "booking_reminder_short")
#: A scheduled reminder not run this long after it was due has lost its task: the sweep runs it.
SWEEP_AFTER = sweeps.GRACE


def _booking(workspace_id: str, booking_id: str):
    from careops.bookings import service as bookings

    return bookings.get(workspace_id, booking_id)


def format_start(start: datetime, timezone: str) -> str:
    """``Monday 30 March 2026 at 09:00 (CEST)`` in the workspace's timezone."""
    local = start.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({local.tzname()})"


def format_start_short(start: datetime, timezone: str) -> str:
    """``Mon 30 Mar 09:00`` in the workspace's timezone: the time for an SMS."""
    local = start.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def values(workspace_id: str, booking, *, manage_link: str | None = None) -> dict:
    from careops.contacts import service as contacts
    from careops.services import service as services

    workspace = get_workspace(workspace_id)
    service = services.get(workspace_id, booking.service_id)
    contact = contacts.get(workspace_id, booking.contact_id)
    return {
        "contact_name": contact.name,
        "business": workspace.name,
        "service": service.name,
        "start": format_start(booking.start, workspace.timezone),
        "reference": booking.reference,
        "start_short": format_start_short(booking.start, workspace.timezone),
        "location": service.location or "",
        "manage_link": manage_link or "",
    }


def _manage_link(workspace_id: str, booking_id: str) -> str:
    from careops.bookings.manage import issue_manage_token, manage_url

    return manage_url(issue_manage_token(workspace_id, booking_id))


def _unsent(workspace_id: str, rule_key: str, automation_key: str) -> bool:
    """The rule is on and this message has not been written yet."""
    from careops.inbox import service as inbox

    return effective(workspace_id, rule_key)["enabled"] and not inbox.automation_message_written(
        workspace_id, automation_key
    )


def confirm(workspace_id: str, booking_id: str):
    """Send ``booking_confirmation`` once per booking, with a fresh manage link and the .ics. Not committed."""
    from careops.bookings.ics import booking_ics

    key = f"booking_confirmation:{booking_id}"
    if not _unsent(workspace_id, "booking_confirmation", key):
        return None  # checked first: no manage token is issued for a message that will not go
    booking = _booking(workspace_id, booking_id)
    link = _manage_link(workspace_id, booking.id)
    return send_rule_message(
        workspace_id,
        "booking_confirmation",
        booking.contact_id,
        values(workspace_id, booking, manage_link=link),
        automation_key=key,
        attachments=[(f"{booking.reference}.ics", booking_ics(workspace_id, booking.id), "text/calendar")],
    )


def schedule_reminders(workspace_id: str, booking_id: str, now: datetime | None = None) -> list[str]:
    """Schedule the reminders of a confirmed booking's current start; the new job ids. Not committed."""
    booking = _booking(workspace_id, booking_id)
    if booking.status != "confirmed":
        return []
    now = now or utcnow()
    occurrence = booking.start.isoformat()
    scheduled = []
    for key in REMINDERS:
        due_at = booking.start - timedelta(minutes=effective(workspace_id, key)["offset_minutes"])
        if due_at <= now:
            continue  # its time had passed when the booking was made: never sent late
        automation_key = f"{key}:{booking.id}:{occurrence}"
        job_id = new_id()
        if not insert_or_ignore(
            ScheduledAutomation,
            {
                "id": job_id,
                "workspace_id": workspace_id,
                "rule_key": key,
                "subject_type": "booking",
                "subject_id": booking.id,
                "occurrence": occurrence,
                "automation_key": automation_key,
                "due_at": due_at,
                "status": "pending",
                "created_at": now,
            },
        ):
            # Moved back to a time it had before: revive that reminder (sent ones stay sent).
            job_id = db.session.scalar(
                sa.select(ScheduledAutomation.id).where(
                    *WorkspaceRepository(workspace_id).criteria(ScheduledAutomation),
                    ScheduledAutomation.automation_key == automation_key,
                    ScheduledAutomation.status == "cancelled",
                )
            )
            if job_id is None:
                continue
            db.session.execute(
                sa.update(ScheduledAutomation)
                .where(ScheduledAutomation.id == job_id)
                .values(status="pending", outcome=None)
            )
        _schedule_task(job_id, due_at)
        scheduled.append(job_id)
    return scheduled


def _schedule_task(job_id: str, due_at: datetime) -> None:
    from careops.automation.tasks import run_scheduled_automation

    call_after_commit(run_scheduled_automation.schedule, args=(job_id,), eta=due_at)


def cancel_reminders(workspace_id: str, booking_id: str) -> int:
    """Cancel the booking's pending reminders. Not committed."""
    return db.session.execute(
        sa.update(ScheduledAutomation)
        .where(
            *WorkspaceRepository(workspace_id).criteria(ScheduledAutomation),
            ScheduledAutomation.subject_type == "booking",
            ScheduledAutomation.subject_id == booking_id,
            ScheduledAutomation.status == "pending",
        )
        .values(status="cancelled", outcome="booking cancelled or moved")
        .execution_options(synchronize_session=False)
    ).rowcount


def run(job_id: str, now: datetime | None = None) -> str:
    """Run one scheduled reminder if it is still due and still right; its outcome. Commits."""
    now = now or utcnow()
    job = db.session.get(ScheduledAutomation, job_id)
    if job is None or job.status != "pending":
        db.session.rollback()
        return "skipped"
    if job.due_at > now + timedelta(seconds=1):
        db.session.rollback()
        return "not due"
    try:
        booking = _booking(job.workspace_id, job.subject_id)
    except NotFound:
        booking = None
    if booking is None or booking.status != "confirmed" or booking.start.isoformat() != job.occurrence:
        outcome, status = "booking cancelled, moved or not confirmed", "cancelled"
    elif booking.start <= now:
        outcome, status = "too late: the booking has started", "done"
    elif not _unsent(job.workspace_id, job.rule_key, job.automation_key):
        outcome, status = "not sent: rule off or already sent", "done"
    else:
        message = send_rule_message(
            job.workspace_id,
            job.rule_key,
            booking.contact_id,
            values(job.workspace_id, booking, manage_link=_manage_link(job.workspace_id, booking.id)),
            automation_key=job.automation_key,
        )
        outcome, status = ("queued" if message is not None else "not sent: automation paused"), "done"
    job.status, job.outcome, job.done_at = status, outcome, now
    db.session.commit()
    return outcome


def sweep(now: datetime | None = None) -> int:
    """Run every pending reminder whose task was missed (it is past due); return how many ran."""
    sweep_now = now or utcnow()
    return sweeps.sweep_ids(
        sa.select(ScheduledAutomation.id)
        .where(ScheduledAutomation.status == "pending", ScheduledAutomation.due_at <= sweep_now - SWEEP_AFTER)
        .order_by(ScheduledAutomation.due_at),
        lambda job_id: run(job_id, sweep_now),
        what="scheduled automation",
    )
