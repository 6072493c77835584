"""Reading a customer's email: sender, subject, the new text (quoted history and signature trimmed),
its attachments by name and size, and the CareOps messages it answers.

A bounce about one of our emails is read as a delivery report instead
(:func:`bounce`). The result is the inbound-message (or delivery) dict of the provider contract
(:meth:`careops.messaging.base.CommunicationProvider.verify_inbound`), ready
for :func:`careops.inbox.inbound.store_message`.
"""

from __future__ import annotations

import re
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from careops_email_smtp.compose import careops_message_ids, one_line

#: Lines that start the quoted history a mail client appends to a reply.
_QUOTE_HEADER = re.compile(
    r"^\s*(On\s.{1,300}\swrote:"  # Gmail, Apple Mail, Thunderbird
    r"|Le\s.{1,300}\sa\s+écrit\s*:"  # French clients
    r"|Am\s.{1,300}\sschrieb\s.{0,200}:"  # German clients
    r"|El\s.{1,300}\sescribió:"  # Spanish clients
    r"|-{2,}\s*Original Message\s*-{2,}"
    r"|-{2,}\s*Forwarded message\s*-{2,}"
    r"|_{20,})\s*$",
    re.IGNORECASE,
)
#: Outlook's quoted header block: "From: …" followed within a few lines by "Sent:"/"Date:".
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|De|Von)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date|Envoyé|Gesendet|To)\s*:", re.IGNORECASE)
_MOBILE_SIGNATURE = re.compile(r"^\s*(Sent from my |Get Outlook for |Envoyé de mon |Von meinem )", re.IGNORECASE)
_AUTOMATIC_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.IGNORECASE)


def trim_reply(text: str) -> str:
    """The new part of a reply: up to the quoted history or the signature, without ``>`` lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        two = line + " " + (lines[i + 1] if i + 1 < len(lines) else "")
        if _QUOTE_HEADER.match(line) or (
            _QUOTE_HEADER.match(two) and "wrote:" in two.lower() and "wrote:" not in line.lower()
        ):
            break
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1 : i + 4]):
            break
        if line.rstrip() in ("--", "-- ") or _MOBILE_SIGNATURE.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    trimmed = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", trimmed) or text.strip()


class _TextOfHtml(HTMLParser):
    """Readable text of an HTML email; quoted history (blockquote, Gmail's quote block) left out."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"})
    _SKIP = frozenset({"script", "style", "head", "blockquote", "title"})
    _VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in self._BLOCKS and not self._skipping():
            self.parts.append("\n")
        if tag in self._VOID:
            return
        classes = dict(attrs).get("class") or ""
        self.stack.append((tag, tag in self._SKIP or "gmail_quote" in classes or "moz-cite-prefix" in classes))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        if tag in self._BLOCKS and not self._skipping():
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping():
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _text(email: EmailMessage) -> str:
    body = email.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeError, AssertionError):  # an unknown charset or a broken part
        content = (body.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if body.get_content_type() == "text/html" else content


def attachments(email: EmailMessage) -> list[tuple[str, int]]:
    """``[(file name, size in bytes)]`` of the parts that are files."""
    found = []
    for part in email.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            found.append((one_line(filename, 200) or "unnamed", len(part.get_payload(decode=True) or b"")))
    return found


def is_automatic(email: EmailMessage, sender: str) -> str | None:
    """Why this email is not a customer's message (an auto-reply, a bounce, a list), or None."""
    auto = (email.get("Auto-Submitted") or "no").strip().lower()
    if auto != "no":
        return f"automatic email (Auto-Submitted: {one_line(auto, 40)})"
    if (email.get("Precedence") or "").strip().lower() in ("bulk", "junk", "list"):
        return "bulk or list email"
    if email.get_content_type() == "multipart/report" or _AUTOMATIC_SENDERS.match(sender):
        return "delivery report or automatic sender"
    return None


def _original_message_id(report: EmailMessage) -> str:
    """The ``Message-ID`` of the email a delivery report is about (its returned headers or message)."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            headers = message_from_string(str(part.get_content()), policy=policy.default)
            return one_line(str(headers.get("Message-ID") or ""), 200)
        if kind == "message/rfc822" and isinstance(part.get_payload(), list) and part.get_payload():
            return one_line(str(part.get_payload()[0].get("Message-ID") or ""), 200)
    return ""


def bounce(email: EmailMessage) -> dict | None:
    """A delivery report (RFC 3464) about one of our emails, as the provider contract's delivery dict.

    Only a final failure counts (``Action: failed``); a permanent one (status
    5.x.x — no such mailbox) is a hard bounce, which marks the address
    undeliverable. Delays and successes are not reported.
    """
    if (
        email.get_content_type() != "multipart/report"
        or (email.get_param("report-type") or "").lower() != "delivery-status"
    ):
        return None
    recipients = []
    for part in email.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            recipients = [b for b in (blocks[1:] if isinstance(blocks, list) else []) if b.get("Action")]
            break
    failed = [b for b in recipients if str(b.get("Action")).strip().lower() == "failed"]
    original = _original_message_id(email)
    ours = careops_message_ids(original)
    if not failed or not ours:
        return None
    code = one_line(str(failed[0].get("Status") or ""), 20)
    diagnostic = one_line(str(failed[0].get("Diagnostic-Code") or ""), 300)
    return {
        "event": "delivery",
        "message_id": ours[0],
        "provider_message_id": original,
        "status": "failed",
        "error": f"Bounced ({code or 'failed'}): {diagnostic or 'the receiving server refused it'}"[:500],
        "bounce": "hard" if code.startswith("5") else None,
    }


def parse(raw: bytes, *, fallback_id: str) -> dict:
    """The inbound-message dict of one raw email (or the delivery dict of a bounce); ``skip`` names a reason
    not to import it."""
    email = message_from_bytes(raw, policy=policy.default)
    report = bounce(email)
    if report is not None:
        return {**report, "skip": None}
    try:
        [(name, sender)] = getaddresses([str(email.get("From") or "")])[:1] or [("", "")]
    except (ValueError, TypeError, IndexError):
        name, sender = "", ""
    text = trim_reply(_text(email))
    files = attachments(email)
    if files:
        listing = "\n".join(f"- {filename} ({_size(size)})" for filename, size in files)
        text = f"{text}\n\nAttachments:\n{listing}".strip()
    header_id = one_line(str(email.get("Message-ID") or ""), 200)
    return {
        "channel": "email",
        "from": sender,
        "name": one_line(name, 120) or None,
        "subject": one_line(str(email.get("Subject") or ""), 300) or None,
        "body": text or "(no text)",
        "provider_message_id": header_id or fallback_id,
        "thread_message_ids": careops_message_ids(
            str(email.get("In-Reply-To") or ""), str(email.get("References") or "")
        ),
        "skip": is_automatic(email, sender),
    }
