"""``GET /dashboard``: a handful of aggregate queries, one per table, in the workspace's time zone.

"Today" is the workspace's calendar day. Each count is a ``COUNT(*) FILTER
(WHERE …)`` over an index range of the workspace's rows (no row reaches
Python except today's bookings, which the dashboard lists). Sections the
caller holds no permission for are None: staff without ``bookings`` do not
see the day's bookings here either. The workspace filter is the request's
tenant scope (:mod:`careops.scoping`): no query here writes one.

Forms and inventory are optional domains: forms are counted by
``careops.forms.service.counts`` when it exists, else from its model; when
their models are absent the sections count 0.
"""

from __future__ import annotations

import importlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from careops.alerts.access import visible
from careops.alerts.models import Alert
from careops.bookings.schemas import as_json, forms_of
from careops.db import utcnow
from careops.extensions import db

#: At most this many of today's bookings are listed (counts are always exact).
TODAY_LIMIT = 500


def _count(condition):
    return sa.func.count().filter(condition)


def _optional_model(module: str, name: str):
    """A model of a domain that may not be installed; None when it is not."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def overview(workspace_id: str, *, permissions: frozenset[str] | None = None, now: datetime | None = None) -> dict:
    """The dashboard of ``workspace_id`` as the holder of ``permissions`` sees it (None: the owner)."""
    from careops.workspaces.models import Workspace

    now = now or utcnow()
    tz = ZoneInfo(db.session.get(Workspace, workspace_id).timezone)
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
    from careops.bookings.models import Booking

    week_end = now + timedelta(days=7)
    is_today = sa.and_(Booking.start >= day_start, Booking.start < day_end)
    # One range scan of (workspace_id, start) covers both today and the coming week.
    counts = db.session.execute(
        sa.select(
            _count(sa.and_(is_today, Booking.status != "cancelled")).label("today"),
            _count(
                sa.and_(Booking.start >= now, Booking.start < week_end, Booking.status.in_(("pending", "confirmed")))
            ).label("upcoming_7d"),
            _count(sa.and_(is_today, Booking.status == "no_show")).label("no_show_today"),
            _count(sa.and_(is_today, Booking.status == "completed")).label("completed_today"),
        ).where(Booking.start >= min(day_start, now), Booking.start < max(day_end, week_end))
    ).one()
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.status == "pending"))
    # Plain rows, not ORM objects: the list is read-only and loading entities was most of its cost.
    rows = db.session.execute(
        sa.select(
            Booking.id,
            Booking.reference,
            Booking.service_id,
            Booking.contact_id,
            Booking.start,
            Booking.end,
            Booking.status,
            Booking.notes,
            Booking.source,
            Booking.created_at,
            Booking.updated_at,
        )
        .where(is_today, Booking.status != "cancelled")
        .order_by(Booking.start, Booking.id)
        .limit(TODAY_LIMIT)
    ).all()
    return (
        {
            "today": counts.today,
            "upcoming_7d": counts.upcoming_7d,
            "pending_confirmation": pending,
            "no_show_today": counts.no_show_today,
            "completed_today": counts.completed_today,
        },
        _listed(workspace_id, rows, tz),
    )


def _listed(workspace_id: str, rows: list, tz: ZoneInfo) -> list[dict]:
    """Today's bookings as GET /bookings/{id} shows them, their forms read in one query for all."""
    forms = forms_of(workspace_id, [b.id for b in rows])
    return [as_json(b, tz, forms[b.id]) for b in rows]


def _inbox(workspace_id: str, now) -> dict:
    from careops.inbox.models import Conversation, Message

    unanswered = sa.and_(
        Conversation.status == "open",
        Conversation.last_customer_message_at.is_not(None),
        sa.or_(
            Conversation.last_staff_reply_at.is_(None),
            Conversation.last_staff_reply_at < Conversation.last_customer_message_at,
        ),
    )
    counts = db.session.execute(
        sa.select(_count(Conversation.status == "open").label("open"), _count(unanswered).label("unanswered"))
    ).one()
    inquiries = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Message)
        .where(Message.direction == "in", Message.created_at >= now - timedelta(hours=24))
    )
    return {"new_inquiries_24h": inquiries, "unanswered": counts.unanswered, "open": counts.open}


def _forms(workspace_id: str, now) -> dict:
    counts = _optional_model("careops.forms.service", "counts")
    if counts is not None:  # the forms domain's own aggregate, when it offers one
        return counts(workspace_id, now)
    submission = _optional_model("careops.forms.models", "FormSubmission")
    if submission is None:
        return {"pending": 0, "overdue": 0, "completed_7d": 0}
    counts = db.session.execute(
        sa.select(
            _count(submission.status == "pending").label("pending"),
            _count(submission.status == "overdue").label("overdue"),
            _count(sa.and_(submission.status == "completed", submission.completed_at >= now - timedelta(days=7))).label(
                "completed_7d"
            ),
        )
    ).one()
    return {"pending": counts.pending, "overdue": counts.overdue, "completed_7d": counts.completed_7d}


def _inventory(workspace_id: str) -> dict:
    item = _optional_model("careops.inventory.models", "InventoryItem")
    if item is None:
        return {"low": 0, "out": 0}
    counts = db.session.execute(
        sa.select(
            _count(sa.and_(item.quantity > 0, item.quantity <= item.low_stock_threshold)).label("low"),
            _count(item.quantity <= 0).label("out"),
        )
    ).one()
    return {"low": counts.low, "out": counts.out}


def _alerts(workspace_id: str, permissions) -> dict:
    counts = db.session.execute(
        sa.select(sa.func.count().label("open"), _count(Alert.severity == "critical").label("critical")).where(
            Alert.status == "open", *visible(permissions)
        )
    ).one()
    return {"open": counts.open, "critical": counts.critical}
