"""``Idempotency-Key`` for POST endpoints: a repeated request replays the first answer.

Use it as one decorator line, below ``@blp.route`` and the guards
(``@public_rate_limit``, ``@blp.protected``) and above ``@blp.arguments`` /
``@blp.response``::

    @public_blp.route("/<slug>/contact", methods=["POST"])
    @public_rate_limit
    @idempotent
    @public_blp.arguments(ContactRequestSchema)
    @public_blp.response(201, OkSchema)
    def contact(data, slug): ...

Semantics (API.md): the key is scoped by workspace (or "public") and path.
The same key with the same body (method, path, query and canonical JSON) gets
the first response again — status and body — and nothing is executed; with a
different body it gets 409 ``IDEMPOTENCY_KEY_REUSED``. Keys live 24 hours.

A response is remembered when the request was *executed*: any 2xx, 3xx or 4xx
answer except 400, 422 and 429 (malformed, invalid or rate-limited requests
never ran, so the key is released and a corrected retry may use it). A 5xx or
an unexpected exception releases the key as well: retrying is safe.

Concurrency: the key row is inserted *first*, in its own committed
transaction, with no response yet ("in progress"); the unique (scope, key)
constraint lets exactly one request claim it. A concurrent duplicate polls
until the first completes and replays it, or after :data:`WAIT_SECONDS` gets
409 ``CONFLICT``. An in-progress row older than :data:`STALE_AFTER` (its
worker died) is taken over.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import Response, g, make_response, request
from flask_smorest import Blueprint as SmorestBlueprint
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from careops import errors
from careops.db import Base, IdMixin, UTCDateTime, utcnow
from careops.errors import AppError, Conflict, ValidationFailed
from careops.http import Blueprint

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=5)
WAIT_SECONDS = 15.0
_POLL_SECONDS = 0.05
_NOT_REMEMBERED = {400, 422, 429}
_DOC = Blueprint("idempotency-doc", __name__)  # never registered: lends its doc decorators


class IdempotencyKey(IdMixin, Base):
    __tablename__ = "idempotency_keys"

    #: sha256 of "<workspace id or public>|<method>|<path>"
    scope: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status_code: Mapped[int | None] = mapped_column(sa.Integer)  # None while in progress
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)


def _session():
    from careops.extensions import db

    return db.session


def _scope() -> str:
    from careops.security import current_user

    # A protected view has authenticated the caller before this runs (placement is checked
    # by :func:`idempotent`); a public view is "public" whatever Authorization header a
    # client sends along by habit.
    owner = current_user().workspace_id if g.get("user_id") else "public"
    return hashlib.sha256(f"{owner}|{request.method}|{request.path}".encode()).hexdigest()


def _fingerprint() -> str:
    body = request.get_json(silent=True)
    canonical = (
        json.dumps(body, sort_keys=True, separators=(",", ":")) if body is not None else request.get_data(as_text=True)
    )
    text = f"{request.method}|{request.path}|{request.query_string.decode(errors='replace')}|{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.response_body, status=row.status_code, content_type=row.content_type)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim(scope: str, key: str, fingerprint: str) -> str | Response:
    """Insert the key row (→ its id) or answer from the one that exists (→ a replay)."""
    session = _session()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if time.monotonic() > deadline:
            raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly")
        now = utcnow()
        row = IdempotencyKey(scope=scope, key=key, request_hash=fingerprint, created_at=now)
        session.add(row)
        try:
            session.commit()
            return row.id
        except sa.exc.IntegrityError:
            session.rollback()
        existing = session.scalars(
            sa.select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
        ).first()
        if existing is None:
            continue  # expired and removed meanwhile: claim again
        abandoned = existing.status_code is None and existing.created_at < now - STALE_AFTER
        if abandoned or existing.created_at < now - TTL:
            session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == existing.id))
            session.commit()
            continue
        if existing.request_hash != fingerprint:
            session.rollback()
            raise Conflict(
                "This Idempotency-Key was used with a different request", error_code="IDEMPOTENCY_KEY_REUSED"
            )
        if existing.status_code is not None:
            response = _replay(existing)
            session.rollback()
            return response
        session.rollback()  # a fresh snapshot for the next look
        time.sleep(_POLL_SECONDS)


def _finish(row_id: str, response: Response | None) -> None:
    session = _session()
    if response is None or response.status_code >= 500 or response.status_code in _NOT_REMEMBERED:
        session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
    else:
        session.execute(
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.id == row_id)
            .values(
                status_code=response.status_code,
                response_body=response.get_data(as_text=True),
                content_type=response.content_type,
                completed_at=utcnow(),
            )
        )
    session.commit()


def idempotent(fn):
    """Honour ``Idempotency-Key`` on a POST view (see the module docstring for placement)."""
    if getattr(fn, "_apidoc", {}).get("manual_doc", {}).get("security"):
        # @blp.protected below this decorator would authenticate only after the key is
        # scoped, mixing different workspaces' keys: refuse at import, not per request.
        raise TypeError(f"{fn.__qualname__}: @idempotent must come below @blp.protected")

    @wraps(fn)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return fn(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255 or not key.isprintable():
            raise ValidationFailed({HEADER: ["Give 1 to 255 printable characters."]})
        claim = _claim(_scope(), key, _fingerprint())
        if isinstance(claim, Response):
            return claim
        try:
            response = make_response(fn(*args, **kwargs))
        except AppError as exc:
            _session().rollback()
            response = errors.handle_app_error(exc)
        except HTTPException as exc:
            _session().rollback()
            response = errors.handle_http_exception(exc)
        except BaseException:
            _session().rollback()
            _finish(claim, None)
            raise
        _finish(claim, response)
        return response

    return _document(wrapper)


def _document(wrapper):
    """Show the header and the 409 in the OpenAPI document of the view."""
    # flask-smorest's doc() replaces lists: keep the parameters the view documented itself.
    own = getattr(wrapper, "_apidoc", {}).get("manual_doc", {}).get("parameters", [])
    wrapper = SmorestBlueprint.doc(
        parameters=[
            *own,
            {
                "in": "header",
                "name": HEADER,
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
                "description": "Repeat a request safely: the same key and body replay the first response (24 h).",
            },
        ]
    )(wrapper)
    documented = getattr(wrapper, "_apidoc", {}).get("response", {}).get("responses", {})
    for status in (409, 422):  # a reused key; a malformed key
        if status not in documented and str(status) not in documented:
            wrapper = _DOC.errors(status)(wrapper)
    return wrapper


def purge_expired(now: datetime | None = None) -> int:
    """Delete keys older than :data:`TTL`; returns how many went."""
    session = _session()
    deleted = session.execute(
        sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < (now or utcnow()) - TTL)
    ).rowcount
    session.commit()
    return deleted
