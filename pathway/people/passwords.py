"""Passwords: the policy a new one must meet, and a slow salted hash (scrypt).

scrypt comes with Python's hashlib, so a password needs no compiled extra dependency; the
cost below takes about a tenth of a second and 32 MiB per hash, which makes guessing from a
stolen database slow while a sign-in stays quick.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache
from importlib import resources

from pathway.errors import InvalidInput

MINIMUM_LENGTH = 12
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
KEY_BYTES = 32
_MAXMEM = 64 * 1024 * 1024  # scrypt needs 128 * N * r bytes: 32 MiB at the cost above


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to allow (lower case, one a line)."""
    text = (resources.files("pathway.people") / "data" / "common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def check_policy(password: str, username: str | None = None) -> None:
    """Refuse a password that is too short, too common or the username, saying which."""
    if len(password) < MINIMUM_LENGTH:
        raise InvalidInput("password", f"The password must be at least {MINIMUM_LENGTH} "
                                       f"characters long; this one has {len(password)}.")
    lowered = password.lower()
    if lowered in common_passwords():
        raise InvalidInput("password", "This password is one of the most common ones and "
                                       "would be guessed quickly; choose another.")
    if username and lowered == username.strip().lower():
        raise InvalidInput("password", "The password must not be the same as the username.")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=max(_MAXMEM, 256 * n * r), dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$key``: the parameters travel with the hash, so they can grow later."""
    salt = secrets.token_bytes(16)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; without a stored hash, the same work is done."""
    if not stored:
        _derive(password, b"\0" * 16, SCRYPT_N, SCRYPT_R, SCRYPT_P)  # same time as a real check
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(derived, base64.b64decode(key))


def fingerprint(stored: str | None) -> str:
    """A short digest of the stored hash: a signed-in session ends when the password changes."""
    return hashlib.sha256((stored or "").encode("ascii")).hexdigest()[:16]
