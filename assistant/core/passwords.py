"""Secrets at rest: passwords as argon2id hashes, API keys as SHA-256 digests; neither is ever stored in clear.

API keys are long random tokens (not guessable, unlike a password), so a fast digest is safe for them and keeps
every API request from paying argon2's deliberate cost.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from assistant.core.errors import AssistantError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_CHARS = 8
API_KEY_PREFIX = "sk-da-"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AssistantError(f"the password is too short: at least {MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; a user without a password can never log in."""
    if not password_hash or not password:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_password_hash(value: str) -> bool:
    return value.startswith("$argon2")


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_digest(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
