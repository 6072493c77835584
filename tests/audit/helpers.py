"""Reading the audit log in tests."""

import json

import sqlalchemy as sa

from careops.audit.models import AuditEntry
from careops.extensions import db


def entries(workspace_id: str, **criteria) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    for key, value in criteria.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    db.session.expire_all()
    return list(db.session.scalars(stmt.order_by(AuditEntry.at, AuditEntry.id)))


def dump(workspace_id: str | None = None) -> str:
    """The whole log (of one workspace, or all) as text, to look for secrets in."""
    stmt = sa.select(AuditEntry)
    if workspace_id:
        stmt = stmt.where(AuditEntry.workspace_id == workspace_id)
    db.session.expire_all()
    return json.dumps(
        [{"changes": e.changes, "entity": e.entity_type, "actor": e.actor} for e in db.session.scalars(stmt)]
    )
