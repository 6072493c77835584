"""Raising and resolving alerts; other domains call :func:`raise_alert` and :func:`resolve_for`.

An alert of one kind about one entity is raised once while it is open: a
second :func:`raise_alert` returns None and changes nothing.
"""
from __future__ import annotations

import sqlalchemy as sa

from careops.alerts.models import KINDS, SEVERITIES, Alert
from careops.db import WorkspaceRepository, insert_or_ignore, new_id, utcnow
from careops.extensions import db


def _open_key(kind: str, entity_type: str | None, entity_id: str | None) -> str:
    return f"{kind}:{entity_type or '-'}:{entity_id or '-'}"


def raise_alert(workspace_id: str, *, kind: str, title: str, severity: str = "warning",
                detail: str | None = None, link: str | None = None, entity_type: str | None = None,
                entity_id: str | None = None) -> Alert | None:
    """Open an alert unless one of this kind and entity is open; the new alert or None. Not committed."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    alert_id = new_id()
    inserted = insert_or_ignore(Alert, {
        "id": alert_id, "workspace_id": workspace_id, "kind": kind, "severity": severity, "title": title[:200],
        "detail": detail, "link": link, "entity_type": entity_type, "entity_id": entity_id, "status": "open",
        "open_key": _open_key(kind, entity_type, entity_id), "created_at": utcnow()})
    return db.session.get(Alert, alert_id) if inserted else None


def resolve(workspace_id: str, alert_id: str) -> Alert:
    """Resolve an alert (resolving a resolved alert changes nothing)."""
    alert = WorkspaceRepository(workspace_id).get(Alert, alert_id)
    _resolve(alert)
    db.session.commit()
    return alert


def resolve_for(workspace_id: str, kind: str, entity_type: str | None, entity_id: str | None) -> int:
    """Resolve the open alert of this kind and entity, if any (the problem went away). Not committed."""
    alerts = WorkspaceRepository(workspace_id).all(
        Alert, Alert.open_key == _open_key(kind, entity_type, entity_id))
    for alert in alerts:
        _resolve(alert)
    return len(alerts)


def _resolve(alert: Alert) -> None:
    if alert.status == "open":
        alert.status = "resolved"
        alert.resolved_at = utcnow()
        alert.open_key = None


def search(workspace_id: str, *, status: str | None = None, kind: str | None = None) -> sa.Select:
    criteria = []
    if status:
        criteria.append(Alert.status == status)
    if kind:
        criteria.append(Alert.kind == kind)
    return WorkspaceRepository(workspace_id).select(Alert, *criteria).order_by(Alert.created_at.desc(), Alert.id)
