"""The tenant scope: which workspace the current unit of work may see.

A request, a task or a command works for one workspace, or — sweeps, the
outbox relay, migrations, the demo loader — says explicitly that it works
across all of them. The scope lives in a :class:`~contextvars.ContextVar`, so
threads and tasks each have their own.

Three states:

- a workspace id: ORM queries of workspace rows get ``workspace_id = <id>``
  added (:mod:`careops.db`), and on PostgreSQL the row-level security policies
  see the same id (:mod:`careops.rls`);
- :data:`ALL` (:func:`unscoped`): no filter, for cross-workspace jobs;
- unset: a query of workspace rows raises :class:`ScopeError` instead of
  returning every workspace's rows.

The PostgreSQL settings follow the scope at each statement (:mod:`careops.rls`
reads :func:`current` before it runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token


class _All:
    def __repr__(self) -> str:
        return "ALL"


#: The scope of a unit of work that may see every workspace.
ALL = _All()

Scope = str | _All | None

_scope: ContextVar[Scope] = ContextVar("careops_scope", default=None)


class ScopeError(RuntimeError):
    """Workspace rows were queried with no workspace in scope."""


def current() -> Scope:
    """The current scope: a workspace id, :data:`ALL`, or None when unset."""
    return _scope.get()


def current_workspace_id() -> str | None:
    """The workspace in scope, or None (unset or unscoped)."""
    scope = _scope.get()
    return scope if isinstance(scope, str) else None


def is_unscoped() -> bool:
    return _scope.get() is ALL


def _set(scope: Scope) -> Token:
    return _scope.set(scope)


def reset(token: Token) -> None:
    """Restore the scope that was current before the change ``token`` stands for."""
    _scope.reset(token)


def bind_workspace(workspace_id: str) -> Token:
    """Scope the rest of this unit of work (a request, a task) to ``workspace_id``."""
    if not isinstance(workspace_id, str) or not workspace_id:
        raise ValueError("a workspace scope needs a workspace id")
    return _set(workspace_id)


def bind_unscoped() -> Token:
    """Scope the rest of this unit of work to every workspace (a task enqueued by a sweep)."""
    return _set(ALL)


def clear() -> Token:
    """Unset the scope (the start of a request: nothing is visible until authorised)."""
    return _set(None)


@contextmanager
def workspace_scope(workspace_id: str) -> Iterator[None]:
    """Work for ``workspace_id`` inside the block; the previous scope comes back after."""
    token = bind_workspace(workspace_id)
    try:
        yield
    finally:
        reset(token)


@contextmanager
def unscoped() -> Iterator[None]:
    """Work across every workspace inside the block (sweeps, relays, migrations)."""
    token = _set(ALL)
    try:
        yield
    finally:
        reset(token)
