"""The model base, the UTC datetime type and tenant scoping (:class:`WorkspaceRepository`).

Every workspace-owned row is read through ``WorkspaceRepository(workspace_id)``:
it adds the workspace filter and turns a miss into :class:`~careops.errors.NotFound`,
so a row of another workspace is answered 404 and cannot be told apart from a
row that does not exist.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from careops.errors import NotFound


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL stores ``timestamptz``; SQLite has no timezone, so values are
    written as naive UTC and read back as aware UTC. Naive datetimes are refused
    on the way in: they are always a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class IdMixin:
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class WorkspaceMixin:
    """Marks a model as owned by a workspace (the isolation test walks these)."""

    workspace_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True, nullable=False
    )


class WorkspaceRepository:
    """Reads and writes of one workspace's rows; the only place tenant filters are written."""

    def __init__(self, workspace_id: str):
        self.workspace_id = workspace_id

    @property
    def session(self):
        from careops.extensions import db

        return db.session

    def select(self, model, *criteria) -> sa.Select:
        return sa.select(model).where(model.workspace_id == self.workspace_id, *criteria)

    def get(self, model, id_: str, *, for_update: bool = False):
        """The row ``id_`` of ``model`` in this workspace, or :class:`NotFound`."""
        if not isinstance(id_, str) or len(id_) > 36:
            raise NotFound(f"{model.__name__} not found")
        stmt = self.select(model, model.id == id_)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        if row is None:
            raise NotFound(f"{model.__name__} not found")
        return row

    def first(self, model, *criteria):
        return self.session.scalars(self.select(model, *criteria)).first()

    def all(self, model, *criteria, order_by=None) -> list:
        stmt = self.select(model, *criteria)
        if order_by is not None:
            stmt = stmt.order_by(*order_by) if isinstance(order_by, (list, tuple)) else stmt.order_by(order_by)
        return list(self.session.scalars(stmt))

    def ids_exist(self, model, ids) -> list[str]:
        """The ids among ``ids`` that are not rows of ``model`` in this workspace."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        found = set(self.session.scalars(sa.select(model.id).where(
            model.workspace_id == self.workspace_id, model.id.in_(ids))))
        return [i for i in ids if i not in found]

    def add(self, obj):
        obj.workspace_id = self.workspace_id
        self.session.add(obj)
        return obj

    def page(self, stmt: sa.Select, pagination) -> list:
        """One page of ``stmt``; sets the total on flask-smorest's pagination parameters."""
        total = self.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
        pagination.item_count = total
        return list(self.session.scalars(
            stmt.offset((pagination.page - 1) * pagination.page_size).limit(pagination.page_size)))


def insert_or_ignore(model, values: dict) -> bool:
    """INSERT one row of ``model`` unless it clashes with a unique constraint; True when inserted.

    ``ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite: a duplicate neither
    raises nor aborts the surrounding transaction (a SAVEPOINT would, and
    pysqlite's savepoints are unreliable), so exactly-once writes are keyed on
    a unique constraint and made with this.
    """
    from careops.extensions import db

    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # RETURNING rather than rowcount: drivers do not all report a rowcount for INSERT.
    inserted = session.execute(insert(model).values(**values).on_conflict_do_nothing()
                               .returning(*sa.inspect(model).primary_key)).first()
    return inserted is not None


def tune_sqlite(engine) -> None:
    """Connection settings for the embedded default's SQLite file.

    - WAL: readers never wait for the one writer, and a commit appends to the
      log instead of rewriting pages — several gunicorn workers share the file.
    - synchronous=NORMAL: with WAL, a commit survives a crash of the process;
      only a power loss can drop the last transactions (SQLite's own advice for WAL).
    - foreign_keys: SQLite leaves them unenforced unless asked; PostgreSQL enforces them.
    """
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
