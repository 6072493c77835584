"""Run something once the current database transaction has committed (typically: enqueue a task).

A task enqueued before the commit could run before its rows are visible, or
for rows a rollback then discards; so services queue the call here and it
runs after a successful commit, and is forgotten on rollback. A call that
fails is logged: every caller has a periodic sweep that catches up.

This is the only such queue: the outbox (:func:`careops.events.emit`) queues
its deliveries here too, so every call runs in the order it was queued.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_PENDING_KEY = "careops_after_commit"


def call_after_commit(fn, *args, **kwargs) -> None:
    from careops.extensions import db

    db.session.info.setdefault(_PENDING_KEY, []).append((fn, args, kwargs))


@sa.event.listens_for(Session, "after_commit")
def _run_committed(session):
    # Popped before anything runs: a call may commit or roll back the same session
    # (an immediate task does), which must neither re-run nor drop the rest.
    pending = session.info.pop(_PENDING_KEY, None)
    for fn, args, kwargs in pending or ():
        try:
            fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the caller's sweep catches up
            log.exception("after-commit call %s%r failed; its sweep catches up", getattr(fn, "__name__", fn), args)


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session):
    session.info.pop(_PENDING_KEY, None)
