"""Encryption at rest of integration secrets (Fernet, key derived from SECRET_KEY with HKDF).

A secret value is stored as ``{"$encrypted": "<fernet token>"}`` in the
integration's JSON config; everything else is stored as given. Changing
``SECRET_KEY`` makes stored secrets unreadable: the provider then fails with
a clear error and the owner re-enters its credentials.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

MARK = "$encrypted"
# Bound into the derived key, so this key is useless for anything but integration secrets.
_INFO = b"careops integrations config v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted (SECRET_KEY changed or the value was tampered with)."""


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"careops", info=_INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value) -> dict:
    return {MARK: _fernet().encrypt(json.dumps(value).encode()).decode()}


def decrypt(stored: dict):
    try:
        return json.loads(_fernet().decrypt(stored[MARK].encode()))
    except (InvalidToken, KeyError, ValueError, TypeError) as exc:
        raise SecretUnreadable("A stored credential cannot be decrypted; enter it again") from exc


def is_encrypted(value) -> bool:
    return isinstance(value, dict) and set(value) == {MARK}


def seal(config: dict, secret_fields: set[str]) -> dict:
    """The config as stored: every secret field encrypted."""
    return {k: (encrypt(v) if k in secret_fields and v is not None else v) for k, v in config.items()}


def unseal(stored: dict) -> dict:
    """The config as the provider needs it: every encrypted value decrypted."""
    return {k: (decrypt(v) if is_encrypted(v) else v) for k, v in (stored or {}).items()}


def public_view(stored: dict) -> dict:
    """The config as the API may show it: secrets left out."""
    return {k: v for k, v in (stored or {}).items() if not is_encrypted(v)}
