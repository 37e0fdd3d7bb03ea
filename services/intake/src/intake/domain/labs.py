"""Labs of a chain and their API keys.

Rules:
- A lab's code is unique across all chains: it is the lab's identity on the broker (routing key
  ``lab.<code>.status``). Creating a lab attributes to its chain the messages that arrived under
  that code before it was registered, so they can be looked at and replayed.
- An API key is 32 random bytes, shown once. Only its SHA-256 is stored: with 256 bits of
  entropy a fast hash cannot be brute-forced, and it lets a request find its key with one index
  lookup (a slow password hash such as argon2 protects guessable passwords, not random keys,
  and would cost every lab request tens of milliseconds).
- A revoked key stops working at once; a lab may hold several keys to rotate them.
"""

from __future__ import annotations

import hashlib

KEY_PREFIX = "etl_"
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6
"""How much of a key is kept in clear, so people can tell their keys apart."""


class LabCodeTaken(ValueError):
    pass


def key_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
