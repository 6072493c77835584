"""What providers report back after sending: delivery, failure, bounces, and SMS opt-out keywords.

Provider plugins turn their webhooks into the plain dicts of
:meth:`careops.messaging.base.CommunicationProvider.verify_inbound`;
:mod:`careops.inbox.inbound` hands them here.

- A delivery report finds the message by CareOps's own id when the provider
  echoes it back (a status-callback URL parameter, Postmark's ``Metadata``) —
  that works even before the worker has stored the provider's id — else by
  the provider's message id. ``delivered`` moves a ``sent`` message on;
  ``failed`` ends a message that was not failed yet (a bounce can come after
  a delivery report). A hard bounce (``"bounce": "hard"``) also marks the
  contact's email address undeliverable: nothing is emailed to it any more
  until the address changes.
- An inbound SMS that is just an opt-out keyword (``STOP`` and the words
  carriers treat alike) marks the contact ``sms_opted_out``; ``START``
  undoes it. A plugin may say so itself (``"opt": "out" | "in"``), e.g. from
  Twilio's ``OptOutType``.
"""

from __future__ import annotations

import logging
import re

from careops.db import WorkspaceRepository, utcnow
from careops.inbox.delivery import fail
from careops.inbox.models import Conversation, Message

log = logging.getLogger(__name__)

#: The keywords US carriers and Twilio's default opt-out handling act on.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
_NOT_LETTERS = re.compile(r"[^A-Z]")


def opt_keyword(body: str | None) -> str | None:
    """``"out"`` / ``"in"`` when the whole SMS is an opt-out / opt-in keyword, else None."""
    word = _NOT_LETTERS.sub("", (body or "").strip().upper())
    if len((body or "").split()) != 1:
        return None
    if word in OPT_OUT_WORDS:
        return "out"
    if word in OPT_IN_WORDS:
        return "in"
    return None


def apply_opt(contact, parsed: dict, body: str | None) -> None:
    """Mark an SMS sender opted out or back in, as the plugin or the message's keyword says. Not committed."""
    opt = parsed.get("opt") if parsed.get("opt") in ("out", "in") else opt_keyword(body)
    if opt is None:
        return
    contact.sms_opted_out = opt == "out"
    log.info("contact %s opted %s of SMS", contact.id, opt)


def delivery_report(workspace_id: str, provider: str, parsed: dict) -> Message | None:
    """Apply one delivery report; the message it was about, or None when it is not ours. Not committed."""
    message = _reported_message(workspace_id, provider, parsed)
    if message is None:
        return None
    status = parsed.get("status")
    if status == "delivered" and message.status == "sent":
        message.status, message.delivered_at = "delivered", utcnow()
    elif status == "failed" and message.status != "failed":
        error = str(parsed.get("error") or "The provider reported the message undeliverable")
        fail(message, error)
    if parsed.get("bounce") == "hard" and message.channel == "email":
        _mark_undeliverable(workspace_id, message)
    return message


def _reported_message(workspace_id: str, provider: str, parsed: dict) -> Message | None:
    repo = WorkspaceRepository(workspace_id)
    ours = parsed.get("message_id")
    if ours:
        message = repo.first(Message, Message.id == str(ours)[:36], Message.direction == "out")
        if message is not None:
            return message
    provider_message_id = parsed.get("provider_message_id")
    if not provider_message_id:
        return None
    return repo.first(
        Message,
        Message.direction == "out",
        Message.provider == provider,
        Message.provider_message_id == str(provider_message_id),
    )


def _mark_undeliverable(workspace_id: str, message: Message) -> None:
    from careops.contacts.service import mark_email_undeliverable

    if message.conversation_id is None:
        return  # a system email (an invitation): no contact to mark
    repo = WorkspaceRepository(workspace_id)
    conversation = repo.get(Conversation, message.conversation_id)
    address = (message.to_address or "").lower()
    # Only the address that bounced: a contact who has since given another one stays reachable.
    if mark_email_undeliverable(workspace_id, conversation.contact_id, address):
        log.info("contact %s: email %s hard-bounced, marked undeliverable", conversation.contact_id, address)
