"""Password hashing with bcrypt.

bcrypt reads at most 72 bytes, so the password is first reduced with SHA-256
(base64, 44 bytes): long passphrases keep all their strength.
"""

import base64
import hashlib

import bcrypt
from flask import current_app


def _prepare(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


def hash_password(password: str) -> str:
    rounds = current_app.config.get("CAREOPS_BCRYPT_ROUNDS", 12)
    return bcrypt.hashpw(_prepare(password), bcrypt.gensalt(rounds=rounds)).decode()


def check_password(password: str, hashed: str) -> bool:
    return bcrypt.checkpw(_prepare(password), hashed.encode())


# Compared against when the email is unknown, so both failures take as long.
_DUMMY = None


def burn_time(password: str) -> None:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password("not-a-real-password")
    check_password(password, _DUMMY)
