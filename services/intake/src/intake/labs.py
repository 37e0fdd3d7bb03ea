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
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from shared.database import Connection

KEY_PREFIX = "etl_"


class LabCodeTaken(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Lab:
    lab_id: UUID
    chain_id: UUID
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class IssuedKey:
    row: dict[str, Any]
    secret: str


_LAB_COLUMNS = "lab_id, chain_id, code, name, created_at"
_KEY_COLUMNS = "key_id, lab_id, key_prefix, label, created_at, revoked_at"


async def create_lab(
    conn: Connection, *, chain_id: UUID, code: str, name: str, now: datetime
) -> dict[str, Any]:
    try:
        row = await conn.fetchrow(
            f"INSERT INTO labs (lab_id, chain_id, code, name, created_at) "
            f"VALUES ($1, $2, $3, $4, $5) RETURNING {_LAB_COLUMNS}",
            uuid4(),
            chain_id,
            code,
            name,
            now,
        )
    except asyncpg.UniqueViolationError:
        raise LabCodeTaken(f"lab code {code!r} is already taken") from None
    assert row is not None  # INSERT … RETURNING always returns the row
    await conn.execute(
        "UPDATE lab_messages SET chain_id = $1 WHERE chain_id IS NULL AND lab_code = $2",
        chain_id,
        code,
    )
    return dict(row)


async def get_lab(conn: Connection, chain_id: UUID, lab_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_LAB_COLUMNS} FROM labs WHERE lab_id = $1 AND chain_id = $2", lab_id, chain_id
    )
    return dict(row) if row else None


async def list_labs(
    conn: Connection, chain_id: UUID, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {_LAB_COLUMNS} FROM labs WHERE chain_id = $1 ORDER BY code LIMIT $2 OFFSET $3",
        chain_id,
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]


async def lab_by_code(conn: Connection, code: str) -> Lab | None:
    row = await conn.fetchrow("SELECT lab_id, chain_id, code, name FROM labs WHERE code = $1", code)
    return Lab(**dict(row)) if row else None


async def lab_in_chain(conn: Connection, chain_id: UUID, code: str) -> bool:
    return bool(
        await conn.fetchval("SELECT 1 FROM labs WHERE chain_id = $1 AND code = $2", chain_id, code)
    )


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def issue_key(
    conn: Connection, *, lab_id: UUID, label: str | None, now: datetime
) -> IssuedKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = await conn.fetchrow(
        f"""
        INSERT INTO lab_api_keys (key_id, lab_id, key_hash, key_prefix, label, created_at)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_KEY_COLUMNS}
        """,
        uuid4(),
        lab_id,
        _hash(secret),
        secret[: len(KEY_PREFIX) + 6],
        label,
        now,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    return IssuedKey(row=dict(row), secret=secret)


async def list_keys(conn: Connection, lab_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {_KEY_COLUMNS} FROM lab_api_keys WHERE lab_id = $1 ORDER BY created_at", lab_id
    )
    return [dict(r) for r in rows]


async def revoke_key(
    conn: Connection, *, lab_id: UUID, key_id: UUID, now: datetime
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""
        UPDATE lab_api_keys SET revoked_at = coalesce(revoked_at, $3)
        WHERE key_id = $1 AND lab_id = $2 RETURNING {_KEY_COLUMNS}
        """,
        key_id,
        lab_id,
        now,
    )
    return dict(row) if row else None


async def lab_for_key(conn: Connection, secret: str) -> Lab | None:
    """The lab that owns the unrevoked key ``secret``, or None."""
    row = await conn.fetchrow(
        """
        SELECT l.lab_id, l.chain_id, l.code, l.name FROM lab_api_keys k
        JOIN labs l USING (lab_id)
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL
        """,
        _hash(secret),
    )
    return Lab(**dict(row)) if row else None
