"""The model base, the UTC datetime type and tenant scoping (:class:`WorkspaceRepository`).

Tenant scoping is on by default: a session-level ``do_orm_execute`` listener
(:func:`_scope_workspace_rows`) adds ``workspace_id = <the workspace in scope>``
(:mod:`careops.scoping`) to every ORM SELECT, UPDATE and DELETE of a model with
:class:`WorkspaceMixin` — joined, aliased and lazily loaded ones included — so
a query that names no workspace still sees only the current one. Under
:func:`~careops.scoping.unscoped` nothing is added; with no scope set such a
query raises :class:`~careops.scoping.ScopeError` instead of returning every
workspace's rows. Nothing else writes a tenant filter by hand.

What the listener does not see, by SQLAlchemy's design:

- ``session.get()`` answered from the identity map runs no SQL: an object
  already loaded in the session comes back whatever the scope is now. A unit
  of work keeps one scope, so only an object loaded under :func:`unscoped`
  and fetched again after binding a workspace can escape; use
  :meth:`WorkspaceRepository.get` (a SELECT) where that matters.
- refreshes of an already loaded object's expired or deferred columns are
  left alone: the object was admitted when it was first loaded.
- Core statements on ``Table`` objects and ``sa.text``: PostgreSQL's
  row-level security (:mod:`careops.rls`) is the guard there.

Tables that hold a ``workspace_id`` but are plumbing rather than a
workspace's rows (the outbox, :class:`careops.events.OutboxEvent`; the
association tables) do not use :class:`WorkspaceMixin`; the code reading
them is cross-workspace and runs :func:`~careops.scoping.unscoped`.

``WorkspaceRepository(workspace_id)`` stays the API for "this workspace's row
or 404": a miss, or a row of another workspace, is :class:`~careops.errors.NotFound`,
indistinguishable from a row that does not exist.
"""

from __future__ import annotations

import functools
import typing
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria
from sqlalchemy.types import TypeDecorator

from careops import scoping
from careops.errors import NotFound


def utcnow() -> datetime:
    return datetime.now(UTC)


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
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


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


@functools.lru_cache(maxsize=1)
def _workspace_tables(_mapper_count: int) -> frozenset:
    """The tables of the workspace models; rebuilt only when a model is mapped (the count changes)."""
    return frozenset(
        mapper.local_table for mapper in Base.registry.mappers if issubclass(mapper.class_, WorkspaceMixin)
    )


#: Execution option of a statement that filters its workspace rows itself (a Core statement by table name).
TENANT_FILTERED = "careops_tenant_filtered"


def _is_workspace_entity(element) -> bool:
    entity = getattr(element, "_annotations", {}).get("parententity")
    return entity is not None and issubclass(entity.class_, WorkspaceMixin)


def _names_workspace_entity(element) -> bool:
    """``element`` is a workspace model, or a subquery of a select that names one (the page count's)."""
    if _is_workspace_entity(element):
        return True
    inner = getattr(element, "element", None)
    if isinstance(inner, sa.Select):
        return any(map(_names_workspace_entity, (*inner._raw_columns, *inner._from_obj)))
    return False


def _names_a_workspace_model(state: ORMExecuteState) -> bool:
    """A workspace model among the statement's entities or explicit FROMs: the loader criteria apply to it."""
    if any(issubclass(mapper.class_, WorkspaceMixin) for mapper in state.all_mappers):
        return True
    return any(map(_names_workspace_entity, getattr(state.statement, "_from_obj", ())))  # select_from(…)


def _reads_workspace_tables(statement) -> bool:
    """The statement reads or writes a workspace model's table, in any FROM, join or subquery (a walk).

    Walked only for statements that name no workspace model (the usual ones do).
    """
    workspace_tables = _workspace_tables(len(Base.registry.mappers))
    return any(
        table in workspace_tables
        for table in sa.sql.util.find_tables(
            typing.cast(sa.ClauseElement, statement),
            check_columns=True,
            include_aliases=True,
            include_joins=True,
            include_crud=True,
        )
    )


@sa.event.listens_for(Session, "do_orm_execute")
def _scope_workspace_rows(state: ORMExecuteState) -> None:
    """Limit the statement's workspace rows to the workspace in scope (see the module docstring)."""
    if not (state.is_select or state.is_update or state.is_delete) or state.is_column_load:
        return
    scope = scoping.current()
    if scope is scoping.ALL:
        return
    if scope is None:
        if _names_a_workspace_model(state) or _reads_workspace_tables(state.statement):
            raise scoping.ScopeError(
                "workspace rows queried with no workspace in scope: bind one (careops.scoping) "
                "or say unscoped() for cross-workspace work"
            )
        return
    if (
        not _names_a_workspace_model(state)
        and not state.execution_options.get(TENANT_FILTERED)
        and _reads_workspace_tables(state.statement)
    ):
        # with_loader_criteria filters the workspace *models* a statement names; a
        # Core table, or a model's columns only inside an expression (count().filter(…)),
        # would be read across every workspace without a word.
        raise scoping.ScopeError(
            "a statement on workspace tables names no workspace model, so the tenant filter cannot "
            "apply: select from the model (select_from(Model)), or filter by workspace_id yourself "
            f"and say so with execution_options({TENANT_FILTERED}=True)"
        )
    # Lazy loads get it too: their parent may have been loaded before the scope was bound.
    state.statement = state.statement.options(_workspace_criteria(scope))


@functools.lru_cache(maxsize=1024)
def _workspace_criteria(workspace_id: str):
    """The tenant filter's loader option for one workspace, built once per process (a workspace's requests share it).

    Building it analyses the lambda's closure: a quarter of the listener's cost on
    every statement. The lambda is cached by SQLAlchemy with ``workspace_id`` as a
    bound parameter, not baked in: every workspace's statements share one compiled form.
    """
    return with_loader_criteria(WorkspaceMixin, lambda cls: cls.workspace_id == workspace_id, include_aliases=True)


#: Indexes spelled differently per dialect (see :func:`dialect_index`), by name.
DIALECT_INDEXES: set[str] = set()


def dialect_index(table: sa.Table, name: str, **columns_by_dialect: str) -> None:
    """An index whose column list differs by dialect: a sort order only one of them can spell.

    ``columns_by_dialect`` maps a dialect name to the SQL of the column list.
    ``create_all`` creates it (a DDL after the table); a migration creates it the
    same way; alembic cannot compare such an index, so autogenerate skips it
    (:func:`compared_by_autogenerate`) instead of proposing to drop it.
    """
    DIALECT_INDEXES.add(name)
    for dialect, columns in columns_by_dialect.items():
        ddl = sa.DDL(f"CREATE INDEX {name} ON {table.name} ({columns})")
        sa.event.listen(table, "after_create", ddl.execute_if(dialect=dialect))


def compared_by_autogenerate(_object, name, type_, _reflected, _compare_to) -> bool:
    """Alembic's ``include_object``: everything but the :func:`dialect_index` indexes."""
    return not (type_ == "index" and name in DIALECT_INDEXES)


class WorkspaceRepository:
    """One workspace's rows: "the row or 404" reads, and adds that stamp the workspace.

    The filter itself comes from the scope (the listener above); the repository
    refuses to work for a workspace other than the one in scope, which would
    otherwise see nothing and answer 404 for the wrong reason.
    """

    def __init__(self, workspace_id: str):
        self.workspace_id = workspace_id

    @property
    def session(self):
        from careops.extensions import db

        self._check_scope()
        return db.session

    def _check_scope(self) -> None:
        scope = scoping.current()
        if scope is None:
            raise scoping.ScopeError(f"a repository of workspace {self.workspace_id} used with no scope bound")
        if isinstance(scope, str) and scope != self.workspace_id:
            raise scoping.ScopeError(
                f"a repository of workspace {self.workspace_id} used in the scope of workspace {scope}"
            )

    def criteria(self, model) -> tuple:
        """The workspace criteria a statement on ``model`` still needs, for ``.where(*…)``.

        None in the workspace's own scope (the listener adds the filter); under
        :func:`~careops.scoping.unscoped` — a sweep working on one workspace's
        rows — ``workspace_id = <this workspace>``. For UPDATE, DELETE and
        column selects, which :meth:`select` does not build.
        """
        self._check_scope()
        return (model.workspace_id == self.workspace_id,) if scoping.is_unscoped() else ()

    def select(self, model, *criteria) -> sa.Select:
        return sa.select(model).where(*self.criteria(model), *criteria)

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
        found = set(self.session.scalars(sa.select(model.id).where(*self.criteria(model), model.id.in_(ids))))
        return [i for i in ids if i not in found]

    def add(self, obj):
        obj.workspace_id = self.workspace_id
        self.session.add(obj)
        return obj

    def count_rows(self, table_name: str, **equals) -> int:
        """This workspace's rows in the table named ``table_name`` (0 when no such table exists).

        By table name, for a domain that may count another's rows without importing
        its models (onboarding). A Core statement, which the scoping listener cannot
        see: the workspace filter is written here, in the scoping layer.
        """
        table = Base.metadata.tables.get(table_name)
        if table is None or any(column not in table.c for column in ("workspace_id", *equals)):
            return 0
        criteria = [table.c[name] == value for name, value in equals.items()]
        stmt = sa.select(sa.func.count()).select_from(table)
        stmt = stmt.where(table.c.workspace_id == self.workspace_id, *criteria)
        return self.session.scalar(stmt.execution_options(**{TENANT_FILTERED: True})) or 0

    def page(self, stmt: sa.Select, pagination, cached_total: Callable[[Callable[[], int]], int] | None = None) -> list:
        """One page of ``stmt``; sets the total on flask-smorest's pagination parameters.

        The total is a count of every matching row — on a 10,000-booking calendar,
        more database work than the page itself. ``cached_total(count)`` may answer
        it from a cache that every change of those rows invalidates.
        """
        session = self.session

        def count() -> int:
            return session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0

        pagination.item_count = count() if cached_total is None else cached_total(count)
        return list(
            session.scalars(stmt.offset((pagination.page - 1) * pagination.page_size).limit(pagination.page_size))
        )


def workspaces_written(session: Session, tables: frozenset[str]) -> set[str | None]:
    """The workspaces whose rows in ``tables`` (by name) a flush writes: new, changed or deleted.

    For an ``after_flush`` listener that watches other domains' tables without
    importing their models. A ``workspaces`` row counts for itself; a row with no
    ``workspace_id`` (an association row) for the workspace in scope, or None —
    every workspace — when none is.
    """
    return {workspace_id for _table, workspace_id in written_rows(session, tables)}


def written_rows(session: Session, tables: frozenset[str]) -> Iterator[tuple[str, str | None]]:
    """(table name, workspace) of each row in ``tables`` a flush writes, as :func:`workspaces_written` counts it.

    For a listener telling apart several watchers' tables in one pass over the flush.
    """
    for row in (*session.new, *session.dirty, *session.deleted):
        table = getattr(row, "__table__", None)
        if table is None or table.name not in tables:
            continue
        if table.name == "workspaces":
            yield table.name, row.id
        else:
            yield table.name, getattr(row, "workspace_id", None) or scoping.current_workspace_id()


def bulk_write_on(state: ORMExecuteState, tables: frozenset[str], *, inserts: bool = False) -> bool:
    """The statement is a bulk ``UPDATE`` or ``DELETE`` of one of ``tables`` (by name); its rows are the scope's.

    With ``inserts``, an ORM ``INSERT`` statement too (:func:`insert_or_ignore`'s).
    """
    writes = state.is_update or state.is_delete or (inserts and state.is_insert)
    return writes and any(typing.cast(sa.Table, mapper.local_table).name in tables for mapper in state.all_mappers)


def insert_or_ignore(model, values: dict) -> bool:
    """INSERT one row of ``model`` unless it clashes with a unique constraint; True when inserted.

    ``ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite: a duplicate neither
    raises nor aborts the surrounding transaction (a SAVEPOINT would, and
    pysqlite's savepoints are unreliable), so exactly-once writes are keyed on
    a unique constraint and made with this.
    """
    from careops.extensions import db

    session = db.session
    # Both dialects' insert() have on_conflict_do_nothing(); the generic one has not.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    # RETURNING rather than rowcount: drivers do not all report a rowcount for INSERT.
    inserted = session.execute(
        insert(model).values(**values).on_conflict_do_nothing().returning(*sa.inspect(model).primary_key)
    ).first()
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
