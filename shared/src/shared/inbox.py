"""Idempotent consumers: a message id is recorded in the same transaction as its effect."""

from __future__ import annotations

from collections.abc import Sequence
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


async def claim_all(
    conn: Connection, consumer: str, messages: Sequence[tuple[UUID, UUID]]
) -> set[UUID]:
    """Record each ``(message_id, chain_id)`` as handled by ``consumer``, in one statement; the
    ids it recorded now (an id handled before, or a second copy in ``messages``, is not)."""
    rows = await conn.fetch(
        """
        INSERT INTO inbox (consumer, message_id, chain_id)
        SELECT $1, message_id, chain_id
        FROM unnest($2::uuid[], $3::uuid[]) AS m (message_id, chain_id)
        ON CONFLICT DO NOTHING RETURNING message_id
        """,
        consumer,
        [message_id for message_id, _ in messages],
        [chain_id for _, chain_id in messages],
    )
    return {row["message_id"] for row in rows}
