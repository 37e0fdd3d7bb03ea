"""Lab messages as received, with their outcome, and each order's latest lab time (rules in
``intake.domain.lab_intake``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from intake.domain.records import EarlierLabMessage, LabMessageStatus, StoredLabMessage, Via
from shared.database import Connection

_MESSAGE_COLUMNS = (
    "m.lab_message_id, m.received_at, m.via, m.routing_key, m.lab_code, m.message_id, m.body, "
    "m.status, m.reason, m.order_id, m.occurred_at, m.attempts, m.last_attempt_at, "
    "(SELECT b.timezone FROM orders bo JOIN branches b ON b.branch_id = bo.branch_id "
    "WHERE bo.order_id = m.order_id) AS branch_timezone"
)
# A chain's messages; with a branch list, those about its orders and those matching no order.
_VISIBLE = """
    FROM lab_messages m LEFT JOIN orders o ON o.order_id = m.order_id
    WHERE m.chain_id = $1 AND ($2::uuid[] IS NULL OR m.order_id IS NULL OR o.branch_id = ANY($2))
"""


def _message(row: asyncpg.Record) -> StoredLabMessage:
    return StoredLabMessage(**dict(row) | {"body": bytes(row["body"])})


class PostgresLabMessages:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def insert(
        self,
        *,
        lab_message_id: UUID,
        received_at: datetime,
        via: Via,
        routing_key: str | None,
        lab_code: str,
        chain_id: UUID | None,
        message_id: str | None,
        body: bytes,
    ) -> bool:
        inserted = await self._conn.fetchval(
            """
            INSERT INTO lab_messages (lab_message_id, received_at, via, routing_key, lab_code,
                chain_id, message_id, body, status, last_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'rejected', $2)
            ON CONFLICT (lab_code, message_id)
                WHERE lab_code IS NOT NULL AND message_id IS NOT NULL DO NOTHING
            RETURNING true
            """,
            lab_message_id,
            received_at,
            via,
            routing_key,
            lab_code,
            chain_id,
            message_id,
            body,
        )
        return bool(inserted)

    async def earlier(self, lab_code: str, message_id: str | None) -> EarlierLabMessage:
        row = await self._conn.fetchrow(
            "SELECT lab_message_id, status, order_id FROM lab_messages "
            "WHERE lab_code = $1 AND message_id = $2 FOR UPDATE",
            lab_code,
            message_id,
        )
        assert row is not None  # the conflicting row committed before we saw it
        return EarlierLabMessage(**dict(row))

    async def resent(
        self, lab_message_id: UUID, *, body: bytes, via: Via, routing_key: str | None
    ) -> None:
        await self._conn.execute(
            "UPDATE lab_messages SET body = $2, via = $3, routing_key = $4, "
            "attempts = attempts + 1 WHERE lab_message_id = $1",
            lab_message_id,
            body,
            via,
            routing_key,
        )

    async def for_replay(self, chain_id: UUID, lab_message_id: UUID) -> StoredLabMessage | None:
        row = await self._conn.fetchrow(
            f"SELECT {_MESSAGE_COLUMNS} FROM lab_messages m "
            "WHERE m.lab_message_id = $1 AND m.chain_id = $2 FOR UPDATE",
            lab_message_id,
            chain_id,
        )
        return _message(row) if row else None

    async def count_attempt(self, lab_message_id: UUID) -> None:
        await self._conn.execute(
            "UPDATE lab_messages SET attempts = attempts + 1 WHERE lab_message_id = $1",
            lab_message_id,
        )

    async def advance_progress(
        self, order_id: UUID, lab_code: str, occurred_at: datetime, lab_message_id: UUID
    ) -> bool:
        newest = await self._conn.fetchval(
            """
            INSERT INTO lab_order_progress (order_id, lab_code, latest_occurred_at,
                lab_message_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (order_id, lab_code) DO UPDATE SET
                latest_occurred_at = EXCLUDED.latest_occurred_at,
                lab_message_id = EXCLUDED.lab_message_id
            WHERE lab_order_progress.latest_occurred_at <= EXCLUDED.latest_occurred_at
            RETURNING true
            """,
            order_id,
            lab_code,
            occurred_at,
            lab_message_id,
        )
        return bool(newest)

    async def record(
        self,
        lab_message_id: UUID,
        *,
        status: LabMessageStatus,
        reason: str | None,
        order_id: UUID | None,
        occurred_at: datetime | None,
        now: datetime,
    ) -> None:
        await self._conn.execute(
            """
            UPDATE lab_messages SET status = $2, reason = $3, order_id = $4, occurred_at = $5,
                last_attempt_at = $6
            WHERE lab_message_id = $1
            """,
            lab_message_id,
            status,
            reason,
            order_id,
            occurred_at,
            now,
        )

    async def list_messages(
        self,
        chain_id: UUID,
        branches: frozenset[UUID] | None,
        status: LabMessageStatus | None,
        limit: int,
        offset: int,
    ) -> list[StoredLabMessage]:
        rows = await self._conn.fetch(
            f"""
            SELECT {_MESSAGE_COLUMNS} {_VISIBLE} AND ($3::text IS NULL OR m.status = $3)
            ORDER BY m.received_at DESC, m.lab_message_id LIMIT $4 OFFSET $5
            """,
            chain_id,
            None if branches is None else list(branches),
            status,
            limit + 1,
            offset,
        )
        return [_message(r) for r in rows]

    async def list_lab_messages(
        self,
        chain_id: UUID,
        lab_code: str,
        status: LabMessageStatus | None,
        limit: int,
        offset: int,
    ) -> list[StoredLabMessage]:
        rows = await self._conn.fetch(
            f"""
            SELECT {_MESSAGE_COLUMNS} FROM lab_messages m
            WHERE m.chain_id = $1 AND m.lab_code = $2 AND ($3::text IS NULL OR m.status = $3)
            ORDER BY m.received_at DESC, m.lab_message_id LIMIT $4 OFFSET $5
            """,
            chain_id,
            lab_code,
            status,
            limit + 1,
            offset,
        )
        return [_message(r) for r in rows]

    async def get(
        self, chain_id: UUID, branches: frozenset[UUID] | None, lab_message_id: UUID
    ) -> StoredLabMessage | None:
        row = await self._conn.fetchrow(
            f"SELECT {_MESSAGE_COLUMNS} {_VISIBLE} AND m.lab_message_id = $3",
            chain_id,
            None if branches is None else list(branches),
            lab_message_id,
        )
        return _message(row) if row else None
