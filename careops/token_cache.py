"""Bearer tokens already verified by this process: their claims, kept for the token's life.

flask-jwt-extended decodes a bearer token four times per request (unverified
claims, unverified header, verified claims, header again), and PyJWT checks
every character of every segment each time: on a staff list that was a sixth
of the request. Whether a token's signature, issuer and claims are valid is a
pure function of its bytes and the key, so :class:`JWTManager` keeps the
verified claims of the tokens it has accepted, by token and key, in a bounded
LRU, and re-checks only what moves with the clock — the expiry — on each use.

Nothing about the *user* is cached here: revocation and the user's row (active,
role, permissions) are read on every request by their callbacks in
:mod:`careops.auth.tokens`, so a logout or a deactivation still takes effect at
once, in every worker.
"""

from __future__ import annotations

import time

from flask_jwt_extended import JWTManager as _JWTManager
from flask_jwt_extended import get_unverified_jwt_headers
from flask_jwt_extended.config import config
from jwt import ExpiredSignatureError

from careops.lru import LRU

#: Tokens kept per process. A token is ~600 bytes and its claims a small dict: about 1.5 MB at most.
MAX_TOKENS = 1024


class JWTManager(_JWTManager):
    """flask-jwt-extended's manager, verifying each distinct token once per process.

    Overrides ``_decode_jwt_from_config``, flask-jwt-extended's one decoding
    entry point (pinned to 4.x in setup.cfg; ``tests/auth/test_token_cache.py``
    checks the behaviour through the API: expired, tampered and foreign-key
    tokens are still refused).
    """

    def __init__(self, app=None, add_context_processor: bool = False) -> None:
        super().__init__(app, add_context_processor)
        self._verified: LRU[tuple[dict, dict]] = LRU(MAX_TOKENS)

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None, allow_expired: bool = False) -> dict:
        # The key is part of the entry: another app (or a rotated secret) verifies afresh.
        key = (encoded_token, csrf_value, config.decode_key)
        hit = self._verified.get(key)
        if hit is None:
            claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
            if not allow_expired:  # only what passed every check, expiry included, is remembered
                self._verified.put(key, (dict(claims), get_unverified_jwt_headers(encoded_token)))
            return claims
        claims, header = hit
        expires = claims.get("exp")
        if not allow_expired and expires is not None and time.time() > expires + config.leeway:
            self._verified.pop(key)
            error = ExpiredSignatureError("Signature has expired")
            # What flask-jwt-extended's expired-token callback is given, as its own decoding does.
            error.jwt_header = dict(header)  # type: ignore[attr-defined]
            error.jwt_data = dict(claims)  # type: ignore[attr-defined]
            raise error
        return dict(claims)
