"""JWT issuing, revocation and the flask-jwt-extended callbacks (every 401 of API.md).

A revocation is always written to the ``revoked_tokens`` table (the record) and,
when ``CAREOPS_REDIS_URL`` is set, to Redis as a key per jti that expires with
the token. The check on every request asks Redis when it is configured and the
table otherwise, or when Redis does not answer: an outage of Redis must neither
log everybody out nor bring back a revoked token. The hourly housekeeping
(:func:`purge_expired_revocations`) copies the table back into Redis, so a
logout made while Redis was down is there once it is back.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
import sqlalchemy as sa
from flask import current_app, g
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy.orm import joinedload

from careops import scoping
from careops.auth.models import RevokedToken, User
from careops.errors import body
from careops.extensions import db, jwt

log = logging.getLogger(__name__)
_redis_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis | None:
    url = current_app.config.get("CAREOPS_REDIS_URL")
    if not url:
        return None
    if url not in _redis_clients:
        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _redis_clients[url]


def issue(user: User, *, refresh: bool = True) -> dict:
    claims = {"ws": user.workspace_id, "role": user.role}
    tokens = {"access_token": create_access_token(identity=user.id, additional_claims=claims)}
    if refresh:
        tokens["refresh_token"] = create_refresh_token(identity=user.id, additional_claims=claims)
    return tokens


def _redis_key(jti: str) -> str:
    return f"careops:revoked:{jti}"


def _publish(client: redis.Redis, jti: str, expires_at: datetime) -> None:
    ttl = max(1, int((expires_at - datetime.now(UTC)).total_seconds()) + 1)
    client.set(_redis_key(jti), "1", ex=ttl)


def revoke(jwt_payload: dict) -> None:
    jti = jwt_payload["jti"]
    expires_at = datetime.fromtimestamp(jwt_payload["exp"], UTC)
    if db.session.get(RevokedToken, jti) is None:
        db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
    db.session.commit()
    client = redis_client()
    if client is not None:
        try:
            _publish(client, jti, expires_at)
        except redis.RedisError:
            log.warning("Redis unavailable: revocation of %s is in the database only until resync", jti)


def is_revoked(jti: str, user_id: str | None = None) -> bool:
    """Whether the token ``jti`` was revoked: Redis when configured, else the table.

    From the table, given the token's ``user_id``, the same statement also reads
    the user and their workspace (:func:`_user_with_workspace`) and leaves them
    for the user lookup that follows: one round trip per staff request instead of two.
    """
    client = redis_client()
    if client is not None:
        try:
            return bool(client.exists(_redis_key(jti)))
        except redis.RedisError:
            log.warning("Redis unavailable: checking revocations in the database")
    # Revocations belong to no workspace: unscoped, the scoping listener passes the
    # read straight through instead of walking the statement for workspace tables.
    with scoping.unscoped():
        if user_id is not None:
            row = db.session.execute(_USER_AND_REVOCATION, {"user_id": user_id, "jti": jti}).first()
            if row is not None:
                g.careops_token_user = row[0]
                return bool(row[1])
        return db.session.get(RevokedToken, jti) is not None


# Built once: constructing it took a tenth of a staff request's authentication.
_USER_WITH_WORKSPACE = sa.select(User).options(joinedload(User.workspace)).where(User.id == sa.bindparam("user_id"))
_USER_AND_REVOCATION = _USER_WITH_WORKSPACE.add_columns(sa.exists().where(RevokedToken.jti == sa.bindparam("jti")))


def purge_expired_revocations(now: datetime | None = None) -> int:
    """Delete revocations of tokens that have expired anyway; re-publish the others to Redis."""
    now = now or datetime.now(UTC)
    result = db.session.execute(sa.delete(RevokedToken).where(RevokedToken.expires_at < now))
    db.session.commit()
    client = redis_client()
    if client is not None:
        for jti, expires_at in db.session.execute(sa.select(RevokedToken.jti, RevokedToken.expires_at)):
            _publish(client, jti, expires_at)
        db.session.rollback()
    return result.rowcount


def _user_with_workspace(user_id: str) -> User | None:
    """The user, with their workspace loaded into the session by the same statement.

    Most staff requests then read the workspace (its zone, its status) from the
    session instead of a second round trip.
    """
    return db.session.scalars(_USER_WITH_WORKSPACE, {"user_id": user_id}).first()


def init_app(app):
    @jwt.user_lookup_loader
    def load_user(_header, payload):
        # The token is the authority on whose request this is: the user is read across
        # workspaces, then the request is scoped to the user's workspace.
        # Usually read already, by the revocation check's statement (is_revoked).
        user = g.pop("careops_token_user", None)
        if user is None or user.id != payload["sub"]:
            with scoping.unscoped():
                user = _user_with_workspace(payload["sub"])
        # A deactivated user's tokens stop working at once.
        if user is None or not user.is_active:
            return None
        scoping.bind_workspace(user.workspace_id)  # undone by the request's teardown
        return user

    @jwt.token_in_blocklist_loader
    def check_revoked(_header, payload):
        return is_revoked(payload["jti"], payload.get("sub"))

    @jwt.expired_token_loader
    def expired(_header, _payload):
        return body(401, "TOKEN_EXPIRED", "The token has expired")

    @jwt.revoked_token_loader
    def revoked(_header, _payload):
        return body(401, "TOKEN_REVOKED", "The token has been revoked")

    @jwt.invalid_token_loader
    def invalid(reason):
        return body(401, "UNAUTHORIZED", f"Invalid token: {reason}")

    @jwt.unauthorized_loader
    def missing(reason):
        return body(401, "UNAUTHORIZED", "Missing bearer token")

    @jwt.user_lookup_error_loader
    def unknown_user(_header, _payload):
        return body(401, "UNAUTHORIZED", "The account is inactive or no longer exists")
