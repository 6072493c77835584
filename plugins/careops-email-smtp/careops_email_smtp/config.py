"""The configuration an owner gives the ``smtp`` provider (``PUT /integrations/email``), validated.

Sending needs an SMTP relay (``host``, ``port``, ``security``, optional
``username``/``password``) and the address mail comes from. Receiving is
optional: with ``imap_host`` set, the mailbox ``imap_folder`` is polled for
customers' messages. IMAP credentials default to the SMTP ones (one mailbox
for both is the common case). Secrets (``password``, ``imap_password``) are
marked so the core stores them encrypted and never returns them.
"""

from __future__ import annotations

import ssl

import marshmallow as ma
from marshmallow import validate

SECURITY = ("none", "starttls", "tls")
#: The usual port of each security mode: 587 submission with STARTTLS, 465 implicit TLS, 25 relay.
SMTP_PORTS = {"none": 25, "starttls": 587, "tls": 465}
IMAP_PORTS = {"none": 143, "starttls": 143, "tls": 993}
DEFAULT_TIMEOUT = 20


def _port(**kw):
    return ma.fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=65535), **kw)


def _text(limit: int, **kw):
    return ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=limit), **kw)


class SmtpConfig(ma.Schema):
    host = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=253),
        metadata={"description": "SMTP relay host name, e.g. smtp.example.com"},
    )
    port = _port(metadata={"description": "Default: 587 with starttls, 465 with tls, 25 with none"})
    security = ma.fields.String(load_default="starttls", validate=validate.OneOf(SECURITY))
    username = _text(254)
    password = _text(1000, metadata={"secret": True})
    from_email = ma.fields.Email(required=True, metadata={"description": "The address customers see and reply to"})
    from_name = _text(120, metadata={"description": "Default: the workspace's name"})
    reply_to = ma.fields.Email(
        load_default=None, allow_none=True, metadata={"description": "Default: the workspace's contact email"}
    )
    timeout_seconds = ma.fields.Integer(load_default=DEFAULT_TIMEOUT, validate=validate.Range(min=1, max=120))
    ca_certificate = _text(
        20000,
        metadata={
            "description": "PEM certificate(s) to trust besides the system's, for a relay or mailbox with a private "
            "or self-signed certificate"
        },
    )

    imap_host = _text(253, metadata={"description": "Set to import customers' emails from this mailbox"})
    imap_port = _port(metadata={"description": "Default: 993 with tls, 143 otherwise"})
    imap_security = ma.fields.String(load_default="tls", validate=validate.OneOf(SECURITY))
    imap_username = _text(254, metadata={"description": "Default: username"})
    imap_password = _text(1000, metadata={"secret": True, "description": "Default: password"})
    imap_folder = ma.fields.String(load_default="INBOX", validate=validate.Length(min=1, max=200))

    @ma.validates_schema
    def _consistent(self, data, **kwargs):
        errors = {}
        if data.get("username") and not data.get("password"):
            errors["password"] = ["A password is needed with a username."]
        if data.get("imap_host") and not (data.get("imap_username") or data.get("username")):
            errors["imap_username"] = ["Give the mailbox's user name (or username)."]
        if data.get("imap_host") and not (data.get("imap_password") or data.get("password")):
            errors["imap_password"] = ["Give the mailbox's password (or password)."]
        if data.get("ca_certificate"):
            try:
                ssl.create_default_context(cadata=data["ca_certificate"])
            except (ssl.SSLError, ValueError):
                errors["ca_certificate"] = ["Not a PEM certificate."]
        if errors:
            raise ma.ValidationError(errors)


def smtp_port(config: dict) -> int:
    return config.get("port") or SMTP_PORTS[config.get("security") or "starttls"]


def imap_settings(config: dict) -> dict | None:
    """Host, port, security, credentials and folder of the mailbox, or None when receiving is off."""
    if not config.get("imap_host"):
        return None
    security = config.get("imap_security") or "tls"
    return {
        "host": config["imap_host"],
        "port": config.get("imap_port") or IMAP_PORTS[security],
        "security": security,
        "username": config.get("imap_username") or config.get("username"),
        "password": config.get("imap_password") or config.get("password"),
        "folder": config.get("imap_folder") or "INBOX",
        "timeout": config.get("timeout_seconds") or DEFAULT_TIMEOUT,
        "ca_certificate": config.get("ca_certificate"),
    }


def tls_context(config: dict) -> ssl.SSLContext:
    """Verified TLS (the system's CAs, plus ``ca_certificate`` when given)."""
    context = ssl.create_default_context()
    if config.get("ca_certificate"):
        context.load_verify_locations(cadata=config["ca_certificate"])
    return context
