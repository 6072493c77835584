"""What the catch-up sweeps share: how long a row's own task gets, how many rows a run takes, the loop.

Work queued after its commit (:mod:`careops.after_commit`) can lose its task: the
enqueue failed, or a worker died mid-run. Each such kind of work has a periodic
sweep that selects what is overdue and hands it on again: the outbox
(:func:`careops.events.sweep`), reminders
(:func:`careops.automation.booking_messages.sweep`), outgoing messages
(:func:`careops.inbox.delivery.sweep`) and webhook deliveries
(:func:`careops.webhooks.delivery.sweep`). Each keeps its own selection (its
statuses, its leases); the grace period, the batch size and the loop live here so
they are one decision, not four constants that drift apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

log = logging.getLogger(__name__)

#: A row whose task was queued after its commit is left to that task this long
#: before a sweep decides the task was lost; the claims and receipts make a
#: late duplicate harmless, the grace only keeps the sweep from racing the task.
GRACE = timedelta(minutes=1)
#: Rows one sweep run takes on, oldest first; the next run takes the rest.
BATCH = 500


def sweep_ids(query: sa.Select, handle: Callable[[str], object], *, what: str) -> int:
    """``handle(id)`` for each id ``query`` selects (at most :data:`BATCH`); return how many it selected.

    The selecting transaction ends before the first ``handle``, which works in its
    own. One that raises is rolled back and logged and the others still run: the
    next sweep tries it again.
    """
    from careops.extensions import db

    ids = list(db.session.scalars(query.limit(BATCH)))
    db.session.rollback()
    for id_ in ids:
        try:
            handle(id_)
        except Exception:  # noqa: BLE001 - one broken row must not stop the others
            db.session.rollback()
            log.exception("sweep: %s %s failed; the next sweep tries again", what, id_)
    return len(ids)
