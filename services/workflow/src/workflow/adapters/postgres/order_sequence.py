"""An order's events in the order intake accepted them: the lock, the counter, the parking lot.

- ``lock`` takes a transaction-scoped advisory lock on the order id, so every replica handles
  one order's sequenced events one transaction at a time — even before the order exists, when
  there is no row to lock (an action parked while its opening commits elsewhere). A consumer
  batch takes the locks of all its orders first, in one statement (``lock_all``, in the
  batch's lock order), and each message's ``lock`` then sends nothing.
- ``orders.applied_seq`` is the last sequence applied (1: the opening).
- ``parked_order_events`` holds events that arrived before the one they follow; the
  transaction that applies the missing one applies them too, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from etapa_contracts.events import Event
from shared import advisory_locks, deferred_writes
from shared.database import Connection
from workflow.adapters.postgres.orders import ORDERS_LANE
from workflow.domain.records import ParkedEvent

# The two-key form of advisory locks: a space of its own, apart from the outbox relay slots.
_LOCK_CLASS = 0x0E7A5E


class PostgresOrderSequence:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock(self, order_id: UUID) -> None:
        """Nothing is sent when this transaction holds the lock already (a consumer batch
        takes its orders' locks together first: ``lock_all``)."""
        await advisory_locks.lock(self._conn, _LOCK_CLASS, str(order_id))

    async def lock_all(self, order_ids: Sequence[UUID]) -> None:
        """The locks of ``order_ids``, in their order, in one statement."""
        await advisory_locks.lock_all(self._conn, _LOCK_CLASS, [str(i) for i in order_ids])

    async def applied_seq(self, chain_id: UUID, order_id: UUID) -> int | None:
        await deferred_writes.send(self._conn, ORDERS_LANE)  # a batch's saves first
        value = await self._conn.fetchval(
            "SELECT applied_seq FROM orders WHERE order_id = $1 AND chain_id = $2",
            order_id,
            chain_id,
        )
        return None if value is None else int(value)

    async def set_applied(self, order_id: UUID, seq: int) -> None:
        await deferred_writes.send(self._conn, ORDERS_LANE)  # after a batch's saves
        await self._conn.execute(
            "UPDATE orders SET applied_seq = $2 WHERE order_id = $1", order_id, seq
        )

    async def park(self, event: Event, order_id: UUID, seq: int) -> bool:
        parked = await self._conn.fetchval(
            """
            INSERT INTO parked_order_events (order_id, order_seq, chain_id, routing_key,
                message_id, payload)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT DO NOTHING RETURNING true
            """,
            order_id,
            seq,
            event.chain_id,
            event.routing_key(),
            event.message_id,
            event.model_dump(mode="json"),
        )
        return bool(parked)

    async def take(self, chain_id: UUID, order_id: UUID, seq: int) -> ParkedEvent | None:
        row = await self._conn.fetchrow(
            """
            DELETE FROM parked_order_events
            WHERE order_id = $1 AND order_seq = $2 AND chain_id = $3
            RETURNING routing_key, payload
            """,
            order_id,
            seq,
            chain_id,
        )
        return None if row is None else ParkedEvent(row["routing_key"], row["payload"])
