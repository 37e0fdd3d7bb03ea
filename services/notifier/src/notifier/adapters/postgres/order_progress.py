"""Table ``order_progress``: what the notifier knows of each order (latest stage entry, closed).

Guarded by ``chain_id`` like every copy kept from events.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared import deferred_writes
from shared.database import Connection


class PostgresOrderProgress:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def note_entry(self, chain_id: UUID, order_id: UUID, entry_sequence: int) -> None:
        """Deferred (``shared.deferred_writes``): a consumer batch's entries are sent together
        before its commit; nothing in that transaction reads ``order_progress`` back."""
        await deferred_writes.write(
            self._conn,
            "order_progress",
            """
            INSERT INTO order_progress (order_id, chain_id, latest_entry_sequence)
            VALUES ($1, $2, $3)
            ON CONFLICT (order_id) DO UPDATE SET latest_entry_sequence =
                greatest(order_progress.latest_entry_sequence, EXCLUDED.latest_entry_sequence)
            WHERE order_progress.chain_id = EXCLUDED.chain_id
            """,
            order_id,
            chain_id,
            entry_sequence,
        )

    async def note_closed(
        self, chain_id: UUID, order_id: UUID, closed_at: datetime, outcome: str
    ) -> None:
        await self._conn.execute(
            """
            INSERT INTO order_progress (order_id, chain_id, closed_at, outcome)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (order_id) DO UPDATE SET
                closed_at = EXCLUDED.closed_at, outcome = EXCLUDED.outcome
            WHERE order_progress.chain_id = EXCLUDED.chain_id
            """,
            order_id,
            chain_id,
            closed_at,
            outcome,
        )

    async def order_chain(self, order_id: UUID) -> UUID | None:
        owner: UUID | None = await self._conn.fetchval(
            "SELECT chain_id FROM order_progress WHERE order_id = $1", order_id
        )
        return owner
