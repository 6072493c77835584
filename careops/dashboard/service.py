"""``GET /dashboard``: a handful of aggregate queries, one per table, in the workspace's time zone.

"Today" is the workspace's calendar day. Each count is a ``COUNT(*) FILTER
(WHERE …)`` over an index range of the workspace's rows (no row reaches
Python except today's bookings, which the dashboard lists). Sections the
caller holds no permission for are None: staff without ``bookings`` do not
see the day's bookings here either. Each domain counts its own rows through
its ``service.py`` (bookings, inbox, forms, inventory, alerts); the workspace
filter is the request's tenant scope (:mod:`careops.scoping`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from careops.alerts.service import open_counts
from careops.bookings.schemas import as_json, forms_of
from careops.db import utcnow
from careops.forms.service import counts as form_counts
from careops.inventory.service import stock_counts

#: At most this many of today's bookings are listed (counts are always exact).
TODAY_LIMIT = 500


def overview(workspace_id: str, *, permissions: frozenset[str] | None = None, now: datetime | None = None) -> dict:
    """The dashboard of ``workspace_id`` as the holder of ``permissions`` sees it (None: the owner)."""
    from careops.workspaces.service import get_workspace

    now = now or utcnow()
    tz = ZoneInfo(get_workspace(workspace_id).timezone)
    local_now = now.astimezone(tz)
    day_start = datetime.combine(local_now.date(), time(0), tzinfo=tz)
    day_end = datetime.combine(local_now.date() + timedelta(days=1), time(0), tzinfo=tz)

    def allowed(area: str) -> bool:
        return permissions is None or area in permissions

    bookings, today = _bookings(workspace_id, tz, now, day_start, day_end) if allowed("bookings") else (None, [])
    return {
        "generated_at": local_now,
        "bookings": bookings,
        "inbox": _inbox(workspace_id, now) if allowed("inbox") else None,
        "forms": _forms(workspace_id, now) if allowed("forms") else None,
        "inventory": _inventory(workspace_id) if allowed("inventory") else None,
        "alerts": _alerts(workspace_id, permissions),
        "today": today,
    }


def _bookings(workspace_id: str, tz: ZoneInfo, now, day_start, day_end) -> tuple[dict, list]:
    from careops.bookings.service import day_overview

    counts, rows = day_overview(workspace_id, now, day_start, day_end, TODAY_LIMIT)
    return counts, _listed(workspace_id, rows, tz)


def _listed(workspace_id: str, rows: list, tz: ZoneInfo) -> list[dict]:
    """Today's bookings as GET /bookings/{id} shows them, their forms read in one query for all."""
    forms = forms_of(workspace_id, [b.id for b in rows])
    return [as_json(b, tz, forms[b.id]) for b in rows]


def _inbox(workspace_id: str, now) -> dict:
    from careops.inbox.service import counts

    return counts(workspace_id, now)


def _forms(workspace_id: str, now) -> dict:
    return form_counts(workspace_id, now)


def _inventory(workspace_id: str) -> dict:
    return stock_counts(workspace_id)


def _alerts(workspace_id: str, permissions) -> dict:
    return open_counts(workspace_id, permissions)
