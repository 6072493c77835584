"""The contract between CareOps and a communication provider plugin.

A provider plugin needs nothing from the core but this module::

    import marshmallow as ma
    from careops import hookimpl
    from careops.messaging.base import CommunicationProvider, ProviderError

    class SmtpProvider(CommunicationProvider):
        name = "smtp"
        channels = ("email",)

        class config_schema(ma.Schema):
            host = ma.fields.String(required=True)
            password = ma.fields.String(required=True, metadata={"secret": True})

        def send(self, message):
            ...  # raise ProviderError(..., retryable=False) for a permanent failure
            return "<provider message id>"

    @hookimpl
    def careops_communication_providers():
        return [SmtpProvider]

The core validates a workspace's configuration against ``config_schema``,
stores the fields marked ``metadata={"secret": True}`` encrypted, and builds
the provider with the validated, decrypted configuration for every send.
Retries, failover and the circuit breaker are the core's job: ``send`` makes
one attempt and either returns or raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import marshmallow as ma

CHANNELS = ("email", "sms")


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
    from_name: str | None = None  # the workspace's name
    reply_to: str | None = None  # the workspace's contact email
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)  # (filename, content, mime type)
    headers: dict = field(default_factory=dict)
    #: Stable across retries of one message: providers with an idempotency key
    #: (Resend, SendGrid's custom args…) can use it to drop a duplicate send.
    idempotency_key: str | None = None


class CommunicationProvider:
    """Base class of a provider plugin.

    Subclasses set ``name`` (unique across plugins), ``channels`` (a subset of
    ``("email", "sms")``) and ``config_schema`` (a marshmallow schema class;
    fields with ``metadata={"secret": True}`` are stored encrypted and never
    returned by the API), and implement :meth:`send`. Inbound messages and
    delivery reports are optional (:meth:`verify_inbound`).
    """

    name: ClassVar[str] = ""
    channels: ClassVar[tuple[str, ...]] = ()
    config_schema: ClassVar[type[ma.Schema]] = ma.Schema
    #: A line for the dashboard's provider picker.
    description: ClassVar[str] = ""
    #: This integration's public webhook URL (``…/public/inbound/<provider>?token=…``), set by the core
    #: before ``send`` and ``verify_inbound``: a provider gives it as its status-callback address, and
    #: one that signs the URL it posts to (Twilio) checks the signature against it.
    inbound_url: str | None = None

    def __init__(self, config: dict | None = None):
        self.config = config or {}

    @classmethod
    def secret_fields(cls) -> set[str]:
        """Names of the configuration fields stored encrypted."""
        return {name for name, f in cls.config_schema().fields.items() if f.metadata.get("secret")}

    def send(self, message: OutboundMessage) -> str:
        """Make one attempt to send ``message``; return the provider's message id.

        Raise :class:`ProviderError` on failure (``retryable=False`` when trying
        again cannot help, e.g. a rejected recipient). Any other exception is
        treated as a retryable failure.
        """
        raise NotImplementedError

    def verify_inbound(self, request) -> dict | None:
        """Check (signature) and parse an inbound webhook ``request`` (a Flask request).

        Return ``None`` when the request cannot be verified: it is answered 401
        and nothing is stored. Otherwise return either an inbound message::

            {"channel": "email"|"sms", "from": address, "body": str,
             "subject"?: str, "name"?: sender's name, "provider_message_id"?: str,
             "thread_message_ids"?: [CareOps message ids the message answers, e.g. from
                                     an email's In-Reply-To/References; the first one of an
                                     outgoing message of the workspace puts the message in
                                     that conversation whatever the sender's address]}

        or a delivery report for a message this provider sent::

            {"event": "delivery", "provider_message_id": str,
             "status": "delivered"|"failed", "error"?: str,
             "message_id"?: CareOps's message id (OutboundMessage.idempotency_key) when the provider echoes it,
             "bounce"?: "hard" (the address does not exist: the contact's email is marked undeliverable)}

        An inbound SMS may add ``"opt": "out"|"in"`` when the provider
        recognised an opt-out/opt-in keyword (the core also recognises STOP/START).
        """
        return None

    def send_test(self, message: OutboundMessage) -> str:
        """Optional: send the owner's test message (``POST /integrations/{key}/test``); return what to show.

        Override it to report more than the message id — the SMTP provider
        returns the server's answer. Raise like :meth:`send`.
        """
        return f"provider id {self.send(message)}"
