"""Turning a CareOps :class:`OutboundMessage` into a MIME email, safely.

- plain text with a simple HTML alternative (escaped; links made clickable);
- ``From`` named after the workspace (or the configured ``from_name``),
  ``Reply-To`` when there is one, ``Date``, and a ``Message-ID`` derived from
  CareOps's message id: a retry after a crash sends the *same* message, so
  receiving servers and clients can tell it is a duplicate, and a customer's
  reply names it in ``In-Reply-To`` (see :func:`careops_message_ids`);
- attachments; a ``text/calendar`` one is sent as an invitation
  (``METHOD:REQUEST`` with the sender as organizer and the customer as
  attendee, and ``method=REQUEST`` on its Content-Type, RFC 6047), so calendar
  clients offer to add it;
- nothing a customer or owner typed reaches a header with a CR, LF or other
  control character in it (header injection).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from careops.messaging.base import OutboundMessage, ProviderError

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,60}$")
#: Headers this module writes; an OutboundMessage's extra headers cannot replace them.
_RESERVED = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "sender",
    "return-path",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "in-reply-to",
    "references",
}
_URL = re.compile(r"https?://[^\s<>\"']+")
MESSAGE_ID_PREFIX = "careops."
#: CRLF line ends; bodies in quoted-printable/base64, so no relay needs 8BITMIME.
WIRE = policy.SMTP.clone(cte_type="7bit")
_CAREOPS_ID = re.compile(r"<careops\.([0-9a-fA-F-]{36})@[^>\s]+>")


def one_line(value: str | None, limit: int = 300) -> str:
    """``value`` fit for a header: control characters (CR, LF…) become spaces, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", value or "").split())[:limit]


def message_id(key: str | None, from_email: str) -> str:
    """``<careops.<CareOps message id>@<sender's domain>>``: the same on every retry of one message."""
    domain = from_email.rpartition("@")[2]
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "careops.invalid"
    safe_key = re.sub(r"[^A-Za-z0-9.-]", "", key or "")[:100]
    if not safe_key:
        return make_msgid(domain=domain)  # a test email: no CareOps message behind it
    return f"<{MESSAGE_ID_PREFIX}{safe_key}@{domain}>"


def careops_message_ids(*headers: str | None) -> list[str]:
    """The CareOps message ids named in ``In-Reply-To``/``References`` values, most relevant first."""
    found: list[str] = []
    for value in headers:
        ids = _CAREOPS_ID.findall(value or "")
        for mid in reversed(ids):  # References lists the oldest first; the newest is the best thread
            if mid.lower() not in found:
                found.append(mid.lower())
    return found


def _address(email: str, name: str | None = None) -> Address:
    try:
        return Address(display_name=one_line(name, 120), addr_spec=email)
    except (ValueError, IndexError, TypeError) as exc:
        raise ProviderError(f"Not a usable email address: {one_line(email, 254)!r} ({exc})", retryable=False) from None


def text_to_html(text: str) -> str:
    """A minimal HTML rendering of the plain text: paragraphs, line breaks, clickable links."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return (
        '<!DOCTYPE html>\n<html><body style="font-family: sans-serif; line-height: 1.4">\n'
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


def build(message: OutboundMessage, config: dict, *, now: datetime | None = None) -> EmailMessage:
    """The email for ``message``, from the integration's ``config``."""
    from_email = config["from_email"]
    sender_name = config.get("from_name") or message.from_name
    email = EmailMessage(policy=WIRE)
    email["From"] = _address(from_email, sender_name)
    email["To"] = _address(message.to)
    reply_to = config.get("reply_to") or message.reply_to
    if reply_to and reply_to.lower() != from_email.lower():
        email["Reply-To"] = _address(reply_to, sender_name)
    email["Subject"] = one_line(message.subject) or f"Message from {one_line(sender_name, 120) or from_email}"
    email["Date"] = format_datetime(now or datetime.now(UTC))
    email["Message-ID"] = message_id(message.idempotency_key, from_email)
    for name, value in (message.headers or {}).items():
        if _HEADER_NAME.match(str(name)) and str(name).lower() not in _RESERVED:
            email[str(name)] = one_line(str(value), 900)
    email.set_content(message.body)
    email.add_alternative(text_to_html(message.body), subtype="html")
    for filename, content, mime in message.attachments or []:
        _attach(email, filename, content, mime, organizer=(from_email, sender_name), attendee=message.to)
    return email


def _attach(email: EmailMessage, filename: str, content: bytes, mime: str, *, organizer, attendee: str) -> None:
    maintype, _, rest = (mime or "application/octet-stream").partition("/")
    subtype = rest.split(";", 1)[0].strip() or "octet-stream"
    params = {}
    if (maintype.strip().lower(), subtype.lower()) == ("text", "calendar"):
        content, method = invitation(content, organizer=organizer, attendee=attendee)
        params = {"method": method, "charset": "utf-8"} if method else {"charset": "utf-8"}
    email.add_attachment(
        content,
        maintype=maintype.strip().lower() or "application",
        subtype=subtype.lower(),
        filename=one_line(filename, 200) or "attachment",
        params=params,
    )


# --- iCalendar: a published event becomes an invitation ----------------------------------------------


def _unfold(text: str) -> list[str]:
    return re.sub(r"\r?\n[ \t]", "", text).replace("\r\n", "\n").split("\n")


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue on lines starting with a space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current)
            current = b""
        current += encoded
    out.append(current)
    return "\r\n ".join(part.decode("utf-8") for part in out)


def _param(value: str | None) -> str:
    """A quoted iCalendar parameter value (no quotes or control characters inside)."""
    return '"' + one_line(value, 120).replace('"', "'") + '"'


def invitation(content: bytes, *, organizer: tuple[str, str | None], attendee: str) -> tuple[bytes, str | None]:
    """``(calendar, METHOD)``: a ``METHOD:PUBLISH`` calendar of one event becomes ``METHOD:REQUEST``.

    RFC 5546 wants an organizer (the sender) and attendees on a request; the
    attendee is told no reply is expected (``RSVP=FALSE``). Anything else is
    passed through with its own method.
    """
    try:
        lines = _unfold(content.decode("utf-8"))
    except UnicodeDecodeError:
        return content, None
    methods = [line.split(":", 1)[1].strip().upper() for line in lines if line.upper().startswith("METHOD:")]
    method = methods[0] if methods else None
    events = sum(1 for line in lines if line.upper() == "BEGIN:VEVENT")
    has_organizer = any(line.upper().startswith("ORGANIZER") for line in lines)
    if method != "PUBLISH" or events != 1 or has_organizer:
        return content, method
    out = []
    for line in lines:
        if line.upper().startswith("METHOD:"):
            line = "METHOD:REQUEST"
        out.append(line)
        if line.upper() == "BEGIN:VEVENT":
            organizer_email, organizer_name = organizer
            cn = f";CN={_param(organizer_name)}" if one_line(organizer_name) else ""
            out.append(f"ORGANIZER{cn}:mailto:{organizer_email}")
            out.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{attendee}")
    while out and out[-1] == "":
        out.pop()
    return ("\r\n".join(_fold(line) for line in out) + "\r\n").encode("utf-8"), "REQUEST"
