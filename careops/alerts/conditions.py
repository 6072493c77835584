"""The alerts raised by time passing, and their resolution when the condition clears.

- ``missed_message``: an open conversation whose latest customer message has
  had no staff reply for ``CAREOPS_ALERT_MISSED_MESSAGE_HOURS`` (default 4);
  automated messages are not replies.
- ``unconfirmed_booking``: a booking still ``pending`` (its service requires
  confirmation) ``CAREOPS_ALERT_UNCONFIRMED_BOOKING_HOURS`` (default 12) after
  it was made.

:func:`sweep` runs periodically (``careops.alerts.tasks``) under a task lock;
it is idempotent: the same situation never raises a second alert, and an
alert resolved by hand is not raised again for the same customer message or
booking. The receivers in ``careops.alerts.receivers`` resolve alerts as soon
as a reply is sent or the booking confirmed; the sweep also resolves any
alert whose condition cleared some other way (a closed conversation).

Each kind is decided by the domain owning its entity, registered with
:func:`register_condition` (``careops.inbox.alerting``,
``careops.bookings.alerting``), which select their due entities and hand them to
:func:`raise_due_alerts`: this module knows only alerts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from careops.alerts.models import Alert
from careops.alerts.service import raise_alert, resolve_for
from careops.db import utcnow
from careops.extensions import db

DEFAULT_HOURS = {"CAREOPS_ALERT_MISSED_MESSAGE_HOURS": 4.0, "CAREOPS_ALERT_UNCONFIRMED_BOOKING_HOURS": 12.0}
BATCH = 500


def threshold(key: str) -> timedelta:
    """The configured delay: app config, else the environment, else the default."""
    value = current_app.config.get(key)
    if value is None:
        value = os.environ.get(key)
    hours = float(value) if value not in (None, "") else DEFAULT_HOURS[key]
    return timedelta(hours=hours)


def alerted(kind: str, entity_type: str, entity_id, workspace_id, since=None):
    """An EXISTS criterion: an alert of ``kind`` exists for the entity (raised at or after ``since``)."""
    criteria = [
        Alert.workspace_id == workspace_id,
        Alert.kind == kind,
        Alert.entity_type == entity_type,
        Alert.entity_id == entity_id,
    ]
    if since is not None:
        criteria.append(Alert.created_at >= since)
    return sa.select(Alert.id).where(*criteria).exists()


@dataclass(frozen=True)
class Condition:
    """A time-based alert kind, decided by the domain that owns its entity."""

    kind: str
    entity_type: str
    raise_due: Callable[[datetime], int]  # raise the alerts due at ``now``; how many were raised
    cleared: Callable[[], list[tuple[str, str]]]  # (workspace_id, entity_id) of open alerts that no longer hold


_CONDITIONS: dict[str, Condition] = {}


def register_condition(
    kind: str, *, entity_type: str, raise_due: Callable[[datetime], int], cleared: Callable[[], list[tuple[str, str]]]
) -> None:
    """Add a time-based alert kind to :func:`sweep` (registering a kind again replaces it).

    The inbox registers ``missed_message`` and bookings ``unconfirmed_booking``
    (from their ``receivers.py``): alerts imports neither.
    """
    _CONDITIONS[kind] = Condition(kind, entity_type, raise_due, cleared)


def open_alerts(kind: str, entity_type: str) -> sa.Select:
    """``(workspace_id, entity_id)`` of the open alerts of ``kind``; join the entity on ``entity_id``."""
    return sa.select(Alert.workspace_id, Alert.entity_id).where(
        Alert.status == "open", Alert.kind == kind, Alert.entity_type == entity_type
    )


def raise_due_alerts(
    kind: str, entity_type: str, due: sa.Select, *, title: Callable[[str | None], str], detail: str
) -> int:
    """Raise a warning of ``kind`` for the entities ``due`` selects; how many were raised.

    ``due`` selects ``(entity_id, workspace_id, name)``, most overdue first; a
    sweep takes at most :data:`BATCH` of them (the next sweep goes on). ``title(name)``
    words each alert; an entity whose alert is still open is skipped
    (:func:`~careops.alerts.service.raise_alert`).
    """
    rows = db.session.execute(due.limit(BATCH)).all()  # read before writing: the inserts must not feed the read
    raised = 0
    for entity_id, workspace_id, name in rows:
        alert = raise_alert(
            workspace_id,
            kind=kind,
            severity="warning",
            title=title(name),
            detail=detail,
            entity_type=entity_type,
            entity_id=entity_id,
        )
        raised += alert is not None
    return raised


def resolve_cleared() -> int:
    """Resolve open time-based alerts whose condition no longer holds (however it cleared)."""
    count = 0
    for condition in _CONDITIONS.values():
        for workspace_id, entity_id in condition.cleared():
            count += resolve_for(workspace_id, condition.kind, condition.entity_type, entity_id)
    return count


def sweep(now: datetime | None = None) -> dict:
    """Raise due time-based alerts and resolve cleared ones, committing each step."""
    now = now or utcnow()
    result = {}
    for condition in _CONDITIONS.values():
        result[condition.kind] = condition.raise_due(now)
        db.session.commit()
    result["resolved"] = resolve_cleared()
    db.session.commit()
    return result


def hours_text(delta: timedelta) -> str:
    """``4 hours``, ``1 hour``, ``30 minutes``: a delay as alert titles say it."""
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    return f"{hours:g} hour" + ("" if hours == 1 else "s")
