"""Passwords hashed with Argon2id (argon2-cffi), off the event loop.

Argon2id takes ~0.2 s of CPU on purpose, so it runs in a thread and the service stays up. A
failed sign-in for an unknown e-mail still spends the time of one hash, so response times do
not tell which e-mails exist.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_UNKNOWN_USER_HASH = _hasher.hash("no such user")


class Argon2Passwords:
    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(_hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            await asyncio.to_thread(_hasher.verify, password_hash or _UNKNOWN_USER_HASH, password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None
