"""JWT issuing, revocation and the flask-jwt-extended callbacks (every 401 of API.md).

Revocation is checked on every request: in Redis when ``CAREOPS_REDIS_URL`` is
set (a key per revoked jti that expires with the token), else in the
``revoked_tokens`` table.
"""
from __future__ import annotations

from datetime import datetime, timezone

import redis
import sqlalchemy as sa
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from careops.auth.models import RevokedToken, User
from careops.errors import body
from careops.extensions import db, jwt

_redis_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis | None:
    url = current_app.config.get("CAREOPS_REDIS_URL")
    if not url:
        return None
    if url not in _redis_clients:
        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return _redis_clients[url]


def issue(user: User, *, refresh: bool = True) -> dict:
    claims = {"ws": user.workspace_id, "role": user.role}
    tokens = {"access_token": create_access_token(identity=user.id, additional_claims=claims)}
    if refresh:
        tokens["refresh_token"] = create_refresh_token(identity=user.id, additional_claims=claims)
    return tokens


def revoke(jwt_payload: dict) -> None:
    jti = jwt_payload["jti"]
    expires_at = datetime.fromtimestamp(jwt_payload["exp"], timezone.utc)
    client = redis_client()
    if client is not None:
        ttl = max(1, int((expires_at - datetime.now(timezone.utc)).total_seconds()) + 1)
        client.set(f"careops:revoked:{jti}", "1", ex=ttl)
        return
    if db.session.get(RevokedToken, jti) is None:
        db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
    db.session.commit()


def is_revoked(jti: str) -> bool:
    client = redis_client()
    if client is not None:
        return bool(client.exists(f"careops:revoked:{jti}"))
    return db.session.get(RevokedToken, jti) is not None


def purge_expired_revocations(now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc)
    result = db.session.execute(sa.delete(RevokedToken).where(RevokedToken.expires_at < now))
    db.session.commit()
    return result.rowcount


def init_app(app):
    @jwt.user_lookup_loader
    def load_user(_header, payload):
        user = db.session.get(User, payload["sub"])
        # A deactivated user's tokens stop working at once.
        return user if user is not None and user.is_active else None

    @jwt.token_in_blocklist_loader
    def check_revoked(_header, payload):
        return is_revoked(payload["jti"])

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
