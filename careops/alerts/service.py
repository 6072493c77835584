"""Raising and resolving alerts; other domains call :func:`raise_alert` and :func:`resolve_for`.

An alert of one kind about one entity is raised once while it is open: a
second :func:`raise_alert` returns None and changes nothing. Opening an alert
emits ``alert_raised`` (through the outbox, so webhooks and other receivers
hear of it exactly once). A domain resolves its alert with :func:`resolve_for`
when the condition clears; people resolve by hand with :func:`resolve`.
"""

from __future__ import annotations

import sqlalchemy as sa

from careops import events
from careops.alerts.access import may_see, visible
from careops.alerts.models import KINDS, SEVERITIES, Alert
from careops.db import WorkspaceRepository, insert_or_ignore, new_id, utcnow
from careops.errors import NotFound
from careops.event_types import AlertRaised
from careops.extensions import db

#: Where to act on an entity, for callers that give no ``link``: API paths that answer GET.
LINKS = {
    "booking": "/api/v1/bookings/{id}",
    "conversation": "/api/v1/conversations/{id}",
    "contact": "/api/v1/contacts/{id}",
    "form_submission": "/api/v1/form-submissions/{id}",
    "inventory_item": "/api/v1/inventory/{id}",
    "webhook_endpoint": "/api/v1/webhooks/{id}",
    "webhook": "/api/v1/webhooks/{id}",
    "integration": "/api/v1/integrations",
    "message": "/api/v1/staff/invitations",
}


def _open_key(kind: str, entity_type: str | None, entity_id: str | None) -> str:
    return f"{kind}:{entity_type or '-'}:{entity_id or '-'}"


def link_for(entity_type: str | None, entity_id: str | None) -> str | None:
    template = LINKS.get(entity_type or "")
    return template.format(id=entity_id) if template and entity_id else None


def raise_alert(
    workspace_id: str,
    *,
    kind: str,
    title: str,
    severity: str = "warning",
    detail: str | None = None,
    link: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> Alert | None:
    """Open an alert unless one of this kind and entity is open; the new alert or None. Not committed."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    alert_id = new_id()
    link = link or link_for(entity_type, entity_id)
    inserted = insert_or_ignore(
        Alert,
        {
            "id": alert_id,
            "workspace_id": workspace_id,
            "kind": kind,
            "severity": severity,
            "title": title[:200],
            "detail": detail,
            "link": link,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "status": "open",
            "open_key": _open_key(kind, entity_type, entity_id),
            "created_at": utcnow(),
        },
    )
    if not inserted:
        return None
    events.emit(
        AlertRaised(
            alert_id=alert_id, kind=kind, severity=severity, entity_type=entity_type, entity_id=entity_id, link=link
        ),
        workspace_id,
    )
    return db.session.get(Alert, alert_id)


def get(workspace_id: str, alert_id: str, permissions: frozenset[str] | None = None) -> Alert:
    """The alert, or NotFound when it is another workspace's or outside the caller's areas."""
    alert = WorkspaceRepository(workspace_id).get(Alert, alert_id)
    if not may_see(permissions, alert):
        raise NotFound("Alert not found")
    return alert


def resolve(workspace_id: str, alert_id: str, permissions: frozenset[str] | None = None) -> Alert:
    """Resolve an alert by hand (resolving a resolved alert changes nothing). Commits."""
    alert = get(workspace_id, alert_id, permissions)
    _resolve(alert)
    db.session.commit()
    return alert


def resolve_for(workspace_id: str, kind: str, entity_type: str | None, entity_id: str | None) -> int:
    """Resolve the open alert of this kind and entity, if any (the problem went away). Not committed."""
    alerts = WorkspaceRepository(workspace_id).all(Alert, Alert.open_key == _open_key(kind, entity_type, entity_id))
    for alert in alerts:
        _resolve(alert)
    return len(alerts)


def _resolve(alert: Alert) -> None:
    if alert.status == "open":
        alert.status = "resolved"
        alert.resolved_at = utcnow()
        alert.open_key = None


def open_counts(workspace_id: str, permissions: frozenset[str] | None = None) -> dict:
    """``{open, critical}``: the open alerts the holder of ``permissions`` sees (the dashboard's), in one query."""
    counts = db.session.execute(
        sa.select(sa.func.count().label("open"), sa.func.count().filter(Alert.severity == "critical").label("critical"))
        .select_from(Alert)  # the model named: the tenant scope filters it
        .where(*WorkspaceRepository(workspace_id).criteria(Alert), Alert.status == "open", *visible(permissions))
    ).one()
    return {"open": counts.open, "critical": counts.critical}


def search(
    workspace_id: str, *, status: str | None = None, kind: str | None = None, permissions: frozenset[str] | None = None
) -> sa.Select:
    """Alerts the caller may see, newest first (``permissions`` None: the owner's view, every alert)."""
    criteria = visible(permissions)
    if status:
        criteria.append(Alert.status == status)
    if kind:
        criteria.append(Alert.kind == kind)
    return WorkspaceRepository(workspace_id).select(Alert, *criteria).order_by(Alert.created_at.desc(), Alert.id)
