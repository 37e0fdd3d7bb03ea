"""``Idempotency-Key``: the first request with a key claims it; a retry finds what it made.

A key belongs to a chain. The same key with the same request (same fingerprint) returns the
earlier result; with another request it is a conflict (409).
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from shared.database import Connection

KeyTable = Literal["idempotency_keys", "action_idempotency_keys"]
_RESULT_COLUMN: dict[KeyTable, str] = {
    "idempotency_keys": "order_id",
    "action_idempotency_keys": "action_id",
}


class IdempotencyConflict(ValueError):
    """The key was used before with a different request."""


async def claim_key(
    conn: Connection, table: KeyTable, chain_id: UUID, key: str, fingerprint: str, result: UUID
) -> UUID | None:
    """Claim ``key`` for ``result``; return the earlier result when the key was used already."""
    column = _RESULT_COLUMN[table]
    claimed = await conn.fetchval(
        f"""
        INSERT INTO {table} (chain_id, key, request_hash, {column})
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true
        """,
        chain_id,
        key,
        fingerprint,
        result,
    )
    if claimed:
        return None
    earlier = await conn.fetchrow(
        f"SELECT request_hash, {column} AS result FROM {table} WHERE chain_id = $1 AND key = $2",
        chain_id,
        key,
    )
    assert earlier is not None  # the conflicting row committed before ON CONFLICT saw it
    if earlier["request_hash"] != fingerprint:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used with a different request body"
        )
    found: UUID = earlier["result"]
    return found
