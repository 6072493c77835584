"""Reading the audit log (writing is :mod:`careops.audit.recorder`'s, and only ever appends)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from careops.audit.models import AuditEntry
from careops.db import WorkspaceRepository


def _bound(value, tz: ZoneInfo, *, end: bool) -> datetime:
    """A datetime as given; a date is its whole day in the workspace's zone (``to`` inclusive)."""
    if isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=tz)


def search(workspace_id: str, filters: dict) -> sa.Select:
    """Entries matching ``filters`` (entity_type, entity_id, actor_id, action, from_, to), newest first."""
    from careops.workspaces.service import get_workspace

    criteria = [
        getattr(AuditEntry, key) == filters[key]
        for key in ("entity_type", "entity_id", "actor_id", "action")
        if filters.get(key)
    ]
    if filters.get("from_") or filters.get("to"):
        tz = ZoneInfo(get_workspace(workspace_id).timezone)
        if filters.get("from_"):
            criteria.append(AuditEntry.at >= _bound(filters["from_"], tz, end=False))
        if filters.get("to"):
            to = filters["to"]
            bound = _bound(to, tz, end=True)
            criteria.append(
                AuditEntry.at < bound
                if isinstance(to, date) and not isinstance(to, datetime)
                else AuditEntry.at <= bound
            )
    return (
        WorkspaceRepository(workspace_id)
        .select(AuditEntry, *criteria)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
