"""The ``missed_message`` alert: a customer waiting too long for a staff reply.

An open conversation whose latest customer message has had no staff reply for
``CAREOPS_ALERT_MISSED_MESSAGE_HOURS`` (default 4); automated messages are not
replies. The alerts domain's periodic sweep calls these two functions
(registered in ``careops.inbox.receivers``); the inbox owns the question.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from careops.alerts.conditions import alerted, hours_text, open_alerts, raise_due_alerts, threshold
from careops.contacts.service import with_contact_name
from careops.extensions import db
from careops.inbox.models import Conversation


def _unanswered():
    return sa.and_(
        Conversation.status == "open",
        Conversation.last_customer_message_at.is_not(None),
        sa.or_(
            Conversation.last_staff_reply_at.is_(None),
            Conversation.last_staff_reply_at < Conversation.last_customer_message_at,
        ),
    )


def raise_missed_messages(now: datetime) -> int:
    hours = threshold("CAREOPS_ALERT_MISSED_MESSAGE_HOURS")
    due = (
        with_contact_name(sa.select(Conversation.id, Conversation.workspace_id), Conversation.contact_id)
        .where(
            _unanswered(),
            Conversation.last_customer_message_at <= now - hours,
            ~alerted(
                "missed_message",
                "conversation",
                Conversation.id,
                Conversation.workspace_id,
                since=Conversation.last_customer_message_at,
            ),
        )
        .order_by(Conversation.last_customer_message_at)
    )
    return raise_due_alerts(
        "missed_message",
        "conversation",
        due,
        title=lambda name: f"{name or 'A customer'} has waited over {hours_text(hours)} for a reply",
        detail="A customer message has had no reply from staff (automated messages do not count).",
    )


def answered_conversations() -> list[tuple[str, str]]:
    """``(workspace_id, conversation_id)`` of open ``missed_message`` alerts whose conversation was answered."""
    stmt = open_alerts("missed_message", "conversation")
    rows = db.session.execute(
        stmt.join(Conversation, Conversation.id == stmt.selected_columns.entity_id).where(~_unanswered())
    )
    return [(workspace_id, conversation_id) for workspace_id, conversation_id in rows]
