"""Sending one queued message through the provider chain, exactly once, and recovering what was missed.

:func:`deliver` claims the message with a conditional UPDATE (``queued``, no
live lease, due) — two workers handed the same message cannot both send it,
and a message already ``sent`` is never sent again. The providers are called
with no transaction open; the result is written afterwards. When every
provider fails, a retryable failure is tried again later (the caller
re-schedules the task after :func:`careops.messaging.chain.retry_delay`);
the last failure marks the message ``failed``, raises a ``delivery_failed``
alert and emits ``message_failed``.

:func:`sweep` re-enqueues queued messages whose task was lost (queue down,
worker killed, lease expired).
"""

from __future__ import annotations

import contextvars
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from careops import events, sweeps
from careops.db import utcnow
from careops.event_types import MessageFailed
from careops.extensions import db
from careops.inbox.models import Conversation, Message
from careops.integrations import service as integrations
from careops.messaging import chain
from careops.messaging.base import OutboundMessage

log = logging.getLogger(__name__)

#: A claim on a message lasts this long and is renewed every third of it while
#: the providers are called: a worker that died mid-send (SIGKILL, power loss)
#: holds the message for seconds, not minutes. ``CAREOPS_MESSAGE_LEASE_SECONDS`` changes it.
LEASE = timedelta(seconds=30)
#: A queued message due this long ago without being sent has lost its task (the grace all
#: catch-up sweeps share; the lease, not the grace, keeps a message from being sent twice).
SWEEP_AFTER = sweeps.GRACE
PAUSED = "Not sent: automation is paused for this conversation"


@dataclass
class Result:
    status: str  # sent | retry | failed | skipped
    retry_in: float | None = None


def deliver(message_id: str, now: datetime | None = None) -> Result:
    """Make one attempt to send message ``message_id`` (see the module docstring)."""
    now = now or utcnow()
    if not _claim(message_id, now):
        return Result("skipped")
    message = db.session.get(Message, message_id)
    conversation = db.session.get(Conversation, message.conversation_id) if message.conversation_id else None
    if conversation is not None and message.author.startswith("automation:") and conversation.automation_paused:
        # Paused after it was queued: it must not go out (and it will not later either).
        _finish(message, status="failed", error=PAUSED)
        db.session.commit()
        return Result("failed")
    outbound = _outbound(message)
    workspace_id, channel, attempt = message.workspace_id, message.channel, message.attempts
    candidates = integrations.provider_candidates(workspace_id, channel)
    db.session.rollback()  # hold no transaction while providers are called
    with LeaseKeeper(message_id, lease_length()):
        result = chain.send(channel, outbound, candidates)

    message = db.session.get(Message, message_id)
    integrations.record_outcomes(workspace_id, result.outcomes)
    if result.sent:
        _finish(
            message,
            status="sent",
            provider=result.provider,
            provider_message_id=result.provider_message_id,
            sent_at=utcnow(),
            error=None,
        )
        if message.conversation_id:  # the contact is reachable again: an earlier failure is settled
            from careops.alerts.service import resolve_for

            resolve_for(workspace_id, "delivery_failed", "conversation", message.conversation_id)
        db.session.commit()
        _count(channel, "sent")
        return Result("sent")
    if result.retryable and attempt < chain.max_attempts():
        delay = chain.retry_delay(attempt)
        message.error = result.error
        message.lease_until = None
        message.next_attempt_at = now + timedelta(seconds=delay)
        db.session.commit()
        log.info("message %s: attempt %d failed, retrying in %.0fs: %s", message_id, attempt, delay, result.error)
        return Result("retry", retry_in=delay)
    fail(message, result.error or "Every provider failed")
    db.session.commit()
    return Result("failed")


def _claim(message_id: str, now: datetime) -> bool:
    claimed = db.session.execute(
        sa.update(Message)
        .where(
            Message.id == message_id,
            Message.status == "queued",
            Message.direction == "out",
            sa.or_(Message.lease_until.is_(None), Message.lease_until < now),
            sa.or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now + timedelta(seconds=1)),
        )
        .values(lease_until=now + lease_length(), attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def lease_length() -> timedelta:
    from flask import current_app

    seconds = current_app.config.get("CAREOPS_MESSAGE_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else LEASE


class LeaseKeeper:
    """Renews the claim on a message while its providers are called (a slow provider keeps it).

    A daemon thread with its own connection pushes ``lease_until`` forward every
    third of the lease, only while the message is still ``queued`` and leased
    (it never revives a lease that ran out and may now be another worker's).
    When this process dies, the renewals stop and the lease runs out within
    one lease length.
    """

    def __init__(self, message_id: str, length: timedelta):
        self.message_id, self.length = message_id, length
        self.engine = db.engine
        self.stopped = threading.Event()
        # The thread works in a copy of this context: it keeps the tenant scope, which
        # PostgreSQL's row-level security reads when its transactions begin (careops.rls).
        self.thread = threading.Thread(
            target=contextvars.copy_context().run, args=(self._run,), name=f"lease-{message_id[:8]}", daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(timeout=5)

    def _run(self):
        interval = max(self.length.total_seconds() / 3, 0.2)
        while not self.stopped.wait(interval):
            try:
                self.renew()
            except Exception:  # noqa: BLE001 - a failed renewal shortens the lease, no more
                log.warning("could not renew the lease of message %s", self.message_id, exc_info=True)

    def renew(self) -> bool:
        now = utcnow()
        with self.engine.begin() as connection:
            renewed = connection.execute(
                sa.update(Message.__table__)
                .where(
                    Message.__table__.c.id == self.message_id,
                    Message.__table__.c.status == "queued",
                    Message.__table__.c.lease_until >= now,
                )
                .values(lease_until=now + self.length)
            ).rowcount
        return renewed == 1


def _outbound(message: Message) -> OutboundMessage:
    from careops.inbox.sending import decode_attachments
    from careops.workspaces.service import find_workspace

    workspace = find_workspace(message.workspace_id)
    return OutboundMessage(
        channel=message.channel,
        to=message.to_address,
        body=message.body,
        subject=message.subject,
        from_name=workspace.name if workspace else None,
        reply_to=workspace.contact_email if workspace else None,
        attachments=decode_attachments(message.attachments),
        idempotency_key=message.id,
    )


def _finish(message: Message, **changes) -> None:
    for key, value in changes.items():
        setattr(message, key, value)
    message.lease_until = None
    if message.status in ("sent", "failed"):
        message.attachments = []  # kept only as long as they may be needed


def fail(message: Message, error: str) -> None:
    """Mark ``message`` failed, raise a ``delivery_failed`` alert, emit ``message_failed``. Not committed."""
    from careops.alerts.service import raise_alert

    _finish(message, status="failed", error=error[:4000])
    if message.conversation_id:
        entity_type, entity_id, link = (
            "conversation",
            message.conversation_id,
            f"/api/v1/conversations/{message.conversation_id}",
        )
    else:
        # A message to someone who is not a contact: an invitation, else a notice to the owner.
        entity_type, entity_id = "message", message.id
        invitation = (message.automation_key or "").startswith("invitation:")
        link = "/api/v1/staff/invitations" if invitation else "/api/v1/integrations"
    raise_alert(
        message.workspace_id,
        kind="delivery_failed",
        severity="warning",
        title=f"A {message.channel} message could not be sent",
        detail=error[:2000],
        link=link,
        entity_type=entity_type,
        entity_id=entity_id,
    )
    events.emit(MessageFailed(message_id=message.id, error=error[:500]), message.workspace_id)
    _count(message.channel, "failed")


def _count(channel: str, status: str) -> None:
    from careops.operations.metrics import MESSAGES

    MESSAGES.labels(channel, status).inc()


def sweep(now: datetime | None = None) -> int:
    """Re-enqueue every queued message that is overdue and unclaimed; return how many."""
    from careops.inbox.tasks import send_message

    now = now or utcnow()
    return sweeps.sweep_ids(
        sa.select(Message.id)
        .where(
            Message.status == "queued",
            Message.direction == "out",
            Message.next_attempt_at <= now - SWEEP_AFTER,
            sa.or_(Message.lease_until.is_(None), Message.lease_until < now),
        )
        .order_by(Message.next_attempt_at),
        send_message,
        what="message",
    )
