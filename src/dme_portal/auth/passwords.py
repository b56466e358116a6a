"""Secret hashing with scrypt (stdlib; memory-hard, salted)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` for a password or client secret."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Check a secret against its stored hash in constant time."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = base64.urlsafe_b64decode(salt_b64)
    expected = base64.urlsafe_b64decode(digest_b64)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)


# A hash to verify against when the account does not exist, so timing does not tell.
DUMMY_HASH = hash_secret(secrets.token_urlsafe(16))


async def hash_secret_off_loop(secret: str) -> str:
    """``hash_secret`` in a worker thread: scrypt takes tens of milliseconds of CPU."""
    return await asyncio.to_thread(hash_secret, secret)


async def verify_secret_off_loop(secret: str, stored: str) -> bool:
    """``verify_secret`` in a worker thread, so a login does not stall every other request."""
    return await asyncio.to_thread(verify_secret, secret, stored)
