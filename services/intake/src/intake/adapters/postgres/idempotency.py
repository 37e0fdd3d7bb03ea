"""``Idempotency-Key`` rows (rules in ``intake.domain.idempotency``).

Concurrent requests with one key wait for each other on the key's row: the second one's
``INSERT … ON CONFLICT DO NOTHING`` waits for the first's transaction, then reads its result.
"""

from __future__ import annotations

from uuid import UUID

from intake.domain.idempotency import IdempotencyConflict, KeyKind
from shared.database import Connection

_TABLE: dict[KeyKind, tuple[str, str]] = {
    "order": ("idempotency_keys", "order_id"),
    "action": ("action_idempotency_keys", "action_id"),
}


class PostgresIdempotency:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def claim(
        self, kind: KeyKind, chain_id: UUID, key: str, fingerprint: str, result: UUID
    ) -> UUID | None:
        table, column = _TABLE[kind]
        claimed = await self._conn.fetchval(
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
        earlier = await self._conn.fetchrow(
            f"SELECT request_hash, {column} AS result FROM {table} "
            "WHERE chain_id = $1 AND key = $2",
            chain_id,
            key,
        )
        assert earlier is not None  # the conflicting row committed before ON CONFLICT saw it
        if earlier["request_hash"] != fingerprint:
            raise IdempotencyConflict()
        found: UUID = earlier["result"]
        return found
