"""Recording every write: SQLAlchemy session listeners that append audit rows in the same transaction.

- ``after_flush``: the rows the unit of work inserted, updated and deleted
  (``changes`` from attribute history), written with ONE bulk INSERT per flush
  on the flush's own connection — committed or rolled back with the change.
- ``do_orm_execute``: ORM bulk statements (``insert(Model)``, ``update(Model)``,
  ``delete(Model)``) that bypass the unit of work. An UPDATE or DELETE first
  reads the rows it matches (old values); an UPDATE touching only ignored
  columns (a send lease, a retry counter) reads nothing and records nothing.

Every mapped model with a single-column primary key is audited except the
plumbing in :data:`NOT_AUDITED` and classes that say ``__audit__ = False``.
Secret-bearing columns (:data:`SECRET_FIELDS`, :data:`SECRET_PATTERN`, a
model's ``__audit_secrets__``) never reach ``changes``: a change of only a
secret is logged with its field left out. The log itself refuses ORM updates
and deletes: it is append-only.
"""

from __future__ import annotations

import base64
import enum
import re
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from careops.audit.context import current_actor, request_details
from careops.audit.models import AuditEntry
from careops.db import new_id, utcnow

#: Tables of plumbing, not of the business: delivery bookkeeping, caches, keys.
NOT_AUDITED = {
    "audit_log",
    "outbox_events",
    "event_receipts",
    "idempotency_keys",
    "revoked_tokens",
    "scheduled_automations",
    "smtp_imported_emails",
    "webhook_deliveries",
}
#: Per table, columns that hold secrets (beyond those the pattern catches).
SECRET_FIELDS = {
    "users": {"password_hash"},
    "integrations": {"config", "inbound_token", "inbound_token_hash"},
    "workspaces": {"calendar_token_hash"},
    "invitations": {"token_hash"},
    "booking_manage_tokens": {"token_hash"},
    "form_access_tokens": {"token_hash"},
    "webhook_endpoints": {"secret", "previous_secret"},
    # The long link behind a short code carries a customer's token.
    "short_links": {"target"},
    # What we send carries customers' links (manage, form, invitation tokens): the message row
    # stays in its conversation; the log records that it was written and how its status moved.
    "messages": {"body"},
}
SECRET_PATTERN = re.compile(
    r"password|secret|token|hash|digest|api_?key|credential|private|signing|config", re.IGNORECASE
)
#: Columns whose change is bookkeeping: alone they are not worth a row.
IGNORED_FIELDS = {
    "id",
    "workspace_id",
    "created_at",
    "updated_at",
    "lease_until",
    "attempts",
    "next_attempt_at",
    "attachments",
}
MAX_TEXT = 1000
_TRUNCATED = "…"


class AppendOnly(RuntimeError):
    """Something tried to change or delete an audit row."""


@cache
def _audited(cls) -> bool:
    mapper = sa.inspect(cls)
    table = mapper.local_table
    if not getattr(cls, "__audit__", True) or table.name in NOT_AUDITED:
        return False
    return len(mapper.primary_key) == 1


@cache
def _secret(cls, key: str) -> bool:
    table = sa.inspect(cls).local_table.name
    return (
        key in SECRET_FIELDS.get(table, ())
        or key in getattr(cls, "__audit_secrets__", ())
        or bool(SECRET_PATTERN.search(key))
    )


@cache
def entity_type(cls) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


@cache
def _columns(cls) -> tuple[tuple[str, str], ...]:
    """(attribute key, column name) of each mapped column."""
    mapper = sa.inspect(cls)
    return tuple((prop.key, prop.columns[0].name) for prop in mapper.column_attrs)


def jsonable(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + _TRUNCATED
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value[:MAX_TEXT])).decode()
    return str(value)


def _workspace_of(cls, values: dict) -> str | None:
    if sa.inspect(cls).local_table.name == "workspaces":
        return values.get("id")
    return values.get("workspace_id")


class _Batch:
    """The audit rows of one flush or statement, written with one INSERT."""

    def __init__(self):
        self.rows: list[dict] = []
        self.actor = None

    def add(self, cls, action: str, entity_id, workspace_id, changes: dict) -> None:
        if workspace_id is None or entity_id is None:
            return  # nobody could read it: rows outside a workspace are plumbing
        self.rows.append(
            {
                "workspace_id": workspace_id,
                "action": action,
                "entity_type": entity_type(cls),
                "entity_id": str(entity_id)[:200],
                "changes": changes,
            }
        )

    def write(self, connection, new_users=()) -> None:
        if not self.rows:
            return
        actor = current_actor()
        if actor["type"] == "user" and actor["id"] is None and new_users:
            actor = {"type": "user", "id": new_users[0].id, "email": new_users[0].email}  # registered just now
        ip, request_id = request_details()
        now = utcnow()
        connection.execute(
            sa.insert(AuditEntry.__table__),
            [
                {
                    "id": new_id(),
                    "at": now,
                    "actor_type": actor["type"],
                    "actor_id": actor["id"],
                    "actor_email": actor.get("email"),
                    "ip": ip,
                    "request_id": request_id,
                    **row,
                }
                for row in self.rows
            ],
        )


def _changes(cls, pairs) -> dict:
    """``{field: [old, new]}`` of ``(key, old, new)`` pairs, secrets left out."""
    return {key: [jsonable(old), jsonable(new)] for key, old, new in pairs if not _secret(cls, key)}


# --- the unit of work ------------------------------------------------------------------------------


@sa.event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, _context, _instances):
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry):
            raise AppendOnly("The audit log is append-only")


@sa.event.listens_for(Session, "after_flush")
def _record_flush(session, _context):
    batch = _Batch()
    new_users = []
    for obj in session.new:
        cls = type(obj)
        if not _audited(cls):
            continue
        values = sa.inspect(obj).dict
        if entity_type(cls) == "user":
            new_users.append(obj)
        batch.add(
            cls,
            "create",
            _pk(obj),
            _workspace_of(cls, values),
            _changes(
                cls,
                (
                    (key, None, values.get(key))
                    for key, _ in _columns(cls)
                    if key not in IGNORED_FIELDS and values.get(key) is not None
                ),
            ),
        )
    for obj in session.dirty:
        cls = type(obj)
        if not _audited(cls):
            continue
        state = sa.inspect(obj)
        pairs = []
        for key, _ in _columns(cls):
            if key in IGNORED_FIELDS:
                continue
            history = state.attrs[key].history
            if history.added or history.deleted:
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                if old != new:
                    pairs.append((key, old, new))
        if pairs:
            workspace_id = _workspace_of(cls, state.dict)
            if workspace_id is None and "workspace_id" in state.unloaded:  # changed without being read first
                workspace_id = obj.workspace_id
            batch.add(cls, "update", _pk(obj), workspace_id, _changes(cls, pairs))
    for obj in session.deleted:
        cls = type(obj)
        if not _audited(cls) or entity_type(cls) == "workspace":
            continue  # a deleted workspace takes its log with it
        values = sa.inspect(obj).dict
        batch.add(
            cls,
            "delete",
            _pk(obj),
            _workspace_of(cls, values),
            _changes(
                cls,
                (
                    (key, values.get(key), None)
                    for key, _ in _columns(cls)
                    if key not in IGNORED_FIELDS and values.get(key) is not None
                ),
            ),
        )
    batch.write(session.connection(), new_users)


def _pk(obj):
    identity = sa.inspect(obj).identity
    if identity:
        return identity[0]
    return getattr(obj, sa.inspect(type(obj)).primary_key[0].key, None)


# --- ORM bulk statements ---------------------------------------------------------------------------


@sa.event.listens_for(Session, "do_orm_execute")
def _record_statement(state):
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    if mapper is None:
        return None
    cls = mapper.class_
    if cls is AuditEntry and (state.is_update or state.is_delete):
        raise AppendOnly("The audit log is append-only")
    if not _audited(cls):
        return None
    if state.is_insert:
        return _bulk_insert(state, cls)
    return _bulk_change(state, cls)


def _statement_values(statement) -> dict:
    """The column → value pairs of an INSERT/UPDATE ``.values(...)``; SQL expressions kept as such."""
    values = {}
    for column, value in (getattr(statement, "_values", None) or {}).items():
        key = column if isinstance(column, str) else column.key
        values[key] = value.value if isinstance(value, sa.sql.elements.BindParameter) else value
    return values


def _parameter_rows(state) -> list[dict]:
    """The rows of an executemany-style ``session.execute(insert/update(Model), [{...}, …])``."""
    params = state.parameters
    if isinstance(params, dict):
        return [params] if params else []
    return [p for p in params or () if isinstance(p, dict)]


def _record_parameter_rows(state, cls, action: str) -> None:
    """Rows given as parameters (ORM bulk by primary key): their new values, the old ones unread."""
    mapper = sa.inspect(cls)
    pk = mapper.primary_key[0].key
    batch = _Batch()
    for row in _parameter_rows(state):
        workspace_id = _workspace_of(cls, row)
        if workspace_id is None and pk in row:  # an update by primary key names only the row
            workspace_id = (
                state.session.connection()
                .execute(sa.select(mapper.local_table.c.workspace_id).where(mapper.primary_key[0] == row[pk]))
                .scalar()
                if "workspace_id" in mapper.local_table.c
                else None
            )
        batch.add(
            cls,
            action,
            row.get(pk),
            workspace_id,
            _changes(
                cls,
                ((key, None, value) for key, value in row.items() if key not in IGNORED_FIELDS and value is not None),
            ),
        )
    batch.write(state.session.connection())


def _bulk_insert(state, cls):
    values = _statement_values(state.statement)
    if not values:  # executemany-style: the rows are the parameters
        result = state.invoke_statement()
        _record_parameter_rows(state, cls, "create")
        return result
    result = state.invoke_statement()
    if state.statement._returning:
        frozen = result.freeze()
        inserted = bool(frozen().all())
        result = frozen()
    else:
        inserted = getattr(result, "rowcount", 1) != 0
    if inserted:
        batch = _Batch()
        pk = sa.inspect(cls).primary_key[0].key
        batch.add(
            cls,
            "create",
            values.get(pk),
            _workspace_of(cls, values),
            _changes(
                cls,
                (
                    (key, None, value)
                    for key, value in values.items()
                    if key not in IGNORED_FIELDS and value is not None and not isinstance(value, sa.ColumnElement)
                ),
            ),
        )
        batch.write(state.session.connection())
    return result


def _bulk_change(state, cls):
    statement = state.statement
    mapper = sa.inspect(cls)
    table = mapper.local_table
    pk = mapper.primary_key[0]
    if state.is_update:
        given = _statement_values(statement)
        if not given and _parameter_rows(state):  # ORM bulk update by primary key
            result = state.invoke_statement()
            _record_parameter_rows(state, cls, "update")
            return result
        values = {k: v for k, v in given.items() if k not in IGNORED_FIELDS}
        if not values:
            return None  # bookkeeping only (a lease, a counter): not worth a row nor a read
        read = [table.c[k] for k in values if k in table.c]
    else:
        values, read = {}, [c for c in table.c if c.key not in IGNORED_FIELDS]
    extra = [table.c.workspace_id] if "workspace_id" in table.c else []
    where = statement.whereclause
    query = sa.select(pk, *extra, *read)
    if where is not None:
        query = query.where(where)
    before = state.session.connection().execute(query).mappings().all()
    result = state.invoke_statement()
    if not before:
        return result
    expressions = [k for k, v in values.items() if isinstance(v, sa.ColumnElement)]
    after = {}
    if expressions:  # values computed by the database: read what they became
        after = {
            r[pk.key]: r
            for r in state.session.connection()
            .execute(sa.select(pk, *[table.c[k] for k in expressions]).where(pk.in_([r[pk.key] for r in before])))
            .mappings()
        }
    batch = _Batch()
    for row in before:
        row_values = {"id": row[pk.key], "workspace_id": row.get("workspace_id")}
        if state.is_update:
            pairs = [
                (k, row[k], after[row[pk.key]][k] if k in expressions else v) for k, v in values.items() if k in row
            ]
            pairs = [(k, old, new) for k, old, new in pairs if old != new]
            if pairs:
                batch.add(cls, "update", row[pk.key], _workspace_of(cls, row_values), _changes(cls, pairs))
        elif entity_type(cls) != "workspace":
            batch.add(
                cls,
                "delete",
                row[pk.key],
                _workspace_of(cls, row_values),
                _changes(cls, ((k, row[k], None) for k in row if k not in IGNORED_FIELDS and row[k] is not None)),
            )
    batch.write(state.session.connection())
    return result
