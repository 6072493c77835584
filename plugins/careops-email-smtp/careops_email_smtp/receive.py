"""Importing customers' emails from the IMAP mailbox of every ``smtp`` integration that has one.

:func:`poll_all` runs as a periodic task (the core holds a lock around it, so
two consumers never poll at once). For each integration it opens the folder
read-only, asks for the UIDs above the last one imported under the folder's
current UIDVALIDITY (the first time: those that arrived since the day the
integration was set up — an existing mailbox's history is left alone), and
imports them in UID order: each email becomes a
customer message in its contact's conversation through the core's inbound
service (:func:`careops.inbox.inbound.store_message` — the contact is found
by address or created, ``message_received`` is emitted), threaded by its
``In-Reply-To``/``References`` when they name a CareOps message. The
:class:`~careops_email_smtp.models.ImportedEmail` row is written in the same
transaction, so nothing is imported twice; the email's own ``Message-ID`` is
the provider message id, a second guard the core enforces. A bounce (a
delivery report about one of our emails) marks that message ``failed`` — and
the address undeliverable on a permanent failure — instead. Emails are read
with ``BODY.PEEK`` and the folder is opened read-only: the mailbox is left
exactly as it was (flags included) for the people who also read it.

No transaction is open while the IMAP server is talked to.
"""

from __future__ import annotations

import imaplib
import logging
import re
from datetime import datetime

import sqlalchemy as sa

from careops.db import insert_or_ignore, new_id, utcnow
from careops.errors import AppError
from careops.extensions import db
from careops_email_smtp.config import imap_settings, tls_context
from careops_email_smtp.models import ImportedEmail
from careops_email_smtp.parse import parse

log = logging.getLogger(__name__)

PROVIDER = "smtp"
#: Emails imported per integration per poll; the rest wait for the next poll (a backlog never blocks the lock long).
BATCH = 50
IMAP_ERROR_PREFIX = "Receiving (IMAP): "
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # IMAP dates


class MailboxError(Exception):
    """The mailbox could not be read (connection, login, folder)."""


def poll_all() -> dict[str, int]:
    """Poll every enabled ``smtp`` integration with IMAP settings; ``{integration id: emails imported}``."""
    from careops.integrations.models import Integration

    ids = list(
        db.session.scalars(
            sa.select(Integration.id)
            .where(Integration.provider == PROVIDER, Integration.enabled.is_(True))
            .order_by(Integration.id)
        )
    )
    db.session.rollback()
    imported = {}
    for integration_id in ids:
        try:
            imported[integration_id] = poll(integration_id)
        except Exception:  # one broken mailbox (or email) must not stop the others; the next poll retries
            db.session.rollback()
            log.exception("IMAP poll of integration %s failed", integration_id)
    return imported


def poll(integration_id: str) -> int:
    """Import the new emails of one integration's mailbox; how many became messages. Commits."""
    from careops.integrations import crypto
    from careops.integrations.models import Integration

    row = db.session.get(Integration, integration_id)
    if row is None or row.provider != PROVIDER or not row.enabled:
        db.session.rollback()
        return 0
    try:
        config = crypto.unseal(row.config)
    except crypto.SecretUnreadable as exc:
        _record(integration_id, str(exc))
        return 0
    mailbox = imap_settings(config)
    if mailbox is None:
        db.session.rollback()
        return 0
    workspace_id, own_address = row.workspace_id, (config.get("from_email") or "").lower()
    since = row.created_at  # a mailbox's older emails are not the CareOps inbox's history
    db.session.rollback()  # no transaction open while the IMAP server is talked to
    try:
        with _open(mailbox) as imap:
            uidvalidity = _uidvalidity(imap)
            last = _last_uid(integration_id, mailbox["folder"], uidvalidity)
            imported = 0
            for uid in _new_uids(imap, last, since)[:BATCH]:
                raw = _fetch(imap, uid)
                imported += _import(integration_id, workspace_id, mailbox["folder"], uidvalidity, uid, raw, own_address)
    except (MailboxError, imaplib.IMAP4.error, OSError) as exc:
        _record(integration_id, f"{exc.__class__.__name__}: {exc}" if not isinstance(exc, MailboxError) else str(exc))
        return 0
    _record(integration_id, None)
    return imported


class _open:
    """A logged-in IMAP connection with ``folder`` selected read-only, logged out on exit."""

    def __init__(self, mailbox: dict):
        self.mailbox = mailbox
        self.imap = None

    def __enter__(self) -> imaplib.IMAP4:
        m = self.mailbox
        where = f"{m['host']}:{m['port']}"
        try:
            if m["security"] == "tls":
                self.imap = imaplib.IMAP4_SSL(
                    m["host"], m["port"], ssl_context=tls_context(self._config()), timeout=m["timeout"]
                )
            else:
                self.imap = imaplib.IMAP4(m["host"], m["port"], timeout=m["timeout"])
                if m["security"] == "starttls":
                    self.imap.starttls(ssl_context=tls_context(self._config()))
        except (OSError, imaplib.IMAP4.error) as exc:
            if self.imap is not None:
                self._close()
            raise MailboxError(f"IMAP server {where} unreachable: {exc.__class__.__name__}: {exc}") from None
        try:
            self.imap.login(m["username"], m["password"])
        except imaplib.IMAP4.error as exc:
            self._close()
            raise MailboxError(f"IMAP server {where} refused the login: {_text(exc)}") from None
        typ, data = self.imap.select(_quote(m["folder"]), readonly=True)
        if typ != "OK":
            self._close()
            raise MailboxError(f"IMAP folder {m['folder']!r} cannot be opened: {_text(data)}")
        return self.imap

    def _config(self) -> dict:
        return {"ca_certificate": self.mailbox.get("ca_certificate")}

    def _close(self):
        try:
            self.imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass

    def __exit__(self, *exc):
        self._close()
        return False


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        value = b" ".join(v for v in value if isinstance(v, bytes)) if value else b""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value)[:300]


def _quote(folder: str) -> str:
    """An IMAP quoted string (folder names may hold spaces)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(imap) -> int:
    _, data = imap.response("UIDVALIDITY")
    if not data or data[0] is None:
        raise MailboxError("The IMAP server did not give the folder's UIDVALIDITY")
    return int(data[0])


def _new_uids(imap, last: int, since: datetime) -> list[int]:
    """UIDs above ``last``; the first time (nothing imported under this UIDVALIDITY), only those that
    arrived on or after the day the integration was set up — not the mailbox's whole history."""
    criteria = f"UID {last + 1}:*"
    if last == 0:
        criteria += f" SINCE {since.day}-{_MONTHS[since.month - 1]}-{since.year}"
    typ, data = imap.uid("SEARCH", None, criteria)
    if typ != "OK":
        raise MailboxError(f"IMAP search failed: {_text(data)}")
    # "n:*" always matches the highest UID, even below n: keep only the new ones.
    return sorted(uid for uid in (int(x) for x in b" ".join(d for d in data if d).split()) if uid > last)


def _fetch(imap, uid: int) -> bytes:
    typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        raise MailboxError(f"IMAP fetch of UID {uid} failed: {_text(data)}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and re.search(rb"BODY\[\]", item[0]):
            return item[1]
    return b""  # expunged meanwhile: recorded as empty and skipped


def _last_uid(integration_id: str, folder: str, uidvalidity: int) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(ImportedEmail.uid)).where(
            ImportedEmail.integration_id == integration_id,
            ImportedEmail.folder == folder,
            ImportedEmail.uidvalidity == uidvalidity,
        )
    )
    db.session.rollback()
    return int(last or 0)


def _import(
    integration_id: str, workspace_id: str, folder: str, uidvalidity: int, uid: int, raw: bytes, own_address: str
) -> int:
    """Store one email and its import row in one transaction; 1 when it became a message."""
    from careops.inbox.inbound import store_message

    parsed = parse(raw, fallback_id=f"imap:{uidvalidity}:{uid}") if raw else None
    message_id, outcome = None, "imported"
    skip = parsed.pop("skip") if parsed else "empty or expunged"
    if skip:
        outcome = f"skipped: {skip}"
    elif parsed.get("event") == "delivery":  # a bounce of one of our emails: that message failed
        reported = store_message(workspace_id, PROVIDER, parsed)
        message_id = reported.id if reported is not None else None
        outcome = "bounce recorded" if reported is not None else "skipped: bounce of an unknown message"
    elif parsed["from"].lower() == own_address:
        outcome = "skipped: sent by this mailbox itself"
    else:
        try:
            stored = store_message(workspace_id, PROVIDER, parsed)
        except AppError as exc:  # no usable sender address
            db.session.rollback()
            outcome = f"skipped: {exc}"[:200]
        else:
            message_id = stored.id if stored is not None else None
            outcome = "imported" if stored is not None else "already imported (same Message-ID)"
    if not insert_or_ignore(
        ImportedEmail,
        {
            "id": new_id(),
            "integration_id": integration_id,
            "folder": folder,
            "uidvalidity": uidvalidity,
            "uid": uid,
            "message_id": message_id,
            "outcome": outcome[:200],
            "imported_at": utcnow(),
        },
    ):
        db.session.rollback()  # another poller got here first: its import stands, this one is undone
        return 0
    db.session.commit()
    return 1 if message_id and outcome == "imported" else 0


def _record(integration_id: str, error: str | None) -> None:
    """Show a receiving failure on the integration (``last_error``) without calling sending broken. Commits."""
    from careops.integrations.models import Integration

    db.session.rollback()
    row = db.session.get(Integration, integration_id)
    if row is None:
        return
    if error:
        log.warning("IMAP poll of integration %s: %s", integration_id, error)
        row.last_error = (IMAP_ERROR_PREFIX + error)[:2000]
    elif (row.last_error or "").startswith(IMAP_ERROR_PREFIX):
        row.last_error = None
    else:
        db.session.rollback()
        return
    db.session.commit()
