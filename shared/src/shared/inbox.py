"""Idempotent consumers: a message id is recorded in the same transaction as its effect."""

from __future__ import annotations

from uuid import UUID

from shared.database import Connection


async def claim(conn: Connection, consumer: str, message_id: UUID, chain_id: UUID) -> bool:
    """Record ``message_id`` as handled by ``consumer``; False when it already was."""
    inserted = await conn.fetchval(
        """
        INSERT INTO inbox (consumer, message_id, chain_id) VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING RETURNING true
        """,
        consumer,
        message_id,
        chain_id,
    )
    return bool(inserted)
