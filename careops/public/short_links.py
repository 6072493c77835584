"""Short links for SMS: ``/m/<code>`` redirects to a long customer link (a manage page, a form).

An SMS is paid per 160-character segment, and a manage link carries a
43-character token. A short link is a 10-character random code standing for
one long link. Like manage tokens, only the code's sha256 is stored (a
database leak reveals no usable link); the long link itself holds a secret
token too, so it is stored encrypted with the instance's key. The code opens
the same page the long link does, for as long as the long link itself
works; a link older than :data:`LIFETIME` is gone.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, redirect
from sqlalchemy.orm import Mapped, mapped_column

from careops import scoping
from careops.db import Base, IdMixin, TimestampMixin, UTCDateTime, WorkspaceMixin, utcnow
from careops.extensions import db
from careops.http import public_rate_limit
from careops.messaging import public_url
from careops.security import token_digest

#: 10 URL-safe characters: 60 random bits, answered only behind the public rate limit.
CODE_BYTES = 8
CODE_LENGTH = 10
LIFETIME = timedelta(days=180)
PREFIX = "/m/"


class ShortLink(IdMixin, TimestampMixin, WorkspaceMixin, Base):
    __tablename__ = "short_links"

    code_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    #: The long link, encrypted (careops.integrations.crypto): it contains a customer's secret token.
    target: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


def shorten(workspace_id: str, url: str, now: datetime | None = None) -> str:
    """A short public URL standing for ``url`` (added to the session, not committed)."""
    from careops.integrations import crypto

    code = secrets.token_urlsafe(CODE_BYTES)[:CODE_LENGTH]
    now = now or utcnow()
    db.session.add(
        ShortLink(
            workspace_id=workspace_id,
            code_hash=token_digest(code),
            target=crypto.encrypt(url),
            expires_at=now + LIFETIME,
        )
    )
    return public_url(f"{PREFIX}{code}")


def shorten_links(workspace_id: str, values: dict) -> dict:
    """``values`` with every non-empty ``*_link`` replaced by its short link (for an SMS)."""
    return {
        key: shorten(workspace_id, value) if key.endswith("_link") and isinstance(value, str) and value else value
        for key, value in values.items()
    }


def resolve(code: str, now: datetime | None = None) -> str | None:
    """The long link behind ``code``, or None (unknown, expired, or its key changed)."""
    from careops.integrations import crypto

    if not isinstance(code, str) or len(code) != CODE_LENGTH:
        return None
    with scoping.unscoped():  # a short link is public: its code finds it in any workspace
        row = db.session.scalars(sa.select(ShortLink).where(ShortLink.code_hash == token_digest(code))).first()
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    try:
        return crypto.decrypt(row.target)
    except crypto.SecretUnreadable:
        return None


site = Blueprint("short_links", __name__)


@site.route(f"{PREFIX}<code>", methods=["GET"])
@public_rate_limit
def follow(code):
    """302 to the long link; 404 for an unknown or expired code."""
    target = resolve(code)
    db.session.rollback()
    if target is None:
        abort(404)
    return redirect(target, code=302)
