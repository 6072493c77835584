"""The contract between CareOps and a communication provider plugin."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import marshmallow as ma


class ProviderError(Exception):
    """A provider could not send; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


@dataclass
class OutboundMessage:
    channel: str  # "email" or "sms"
    to: str  # an email address or an E.164 phone number
    body: str
    subject: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)  # (filename, content, mime type)
    headers: dict = field(default_factory=dict)


class CommunicationProvider:
    """Base class of a provider plugin.

    Subclasses set ``name`` (unique), ``channels`` and ``config_schema`` (a
    marshmallow schema class; fields with ``metadata={"secret": True}`` are
    stored encrypted and never returned), and implement :meth:`send`.
    """

    name: ClassVar[str] = ""
    channels: ClassVar[tuple[str, ...]] = ()
    config_schema: ClassVar[type[ma.Schema]] = ma.Schema

    def __init__(self, config: dict | None = None):
        self.config = config or {}

    def send(self, message: OutboundMessage) -> str:
        """Send ``message``; return the provider's message id or raise :class:`ProviderError`."""
        raise NotImplementedError

    def verify_inbound(self, request) -> dict | None:
        """Check and parse an inbound webhook request.

        Return ``{"channel", "from", "body", "subject"?, "provider_message_id"?}``
        or ``None`` when the request cannot be verified (answered 401, not stored).
        """
        return None
