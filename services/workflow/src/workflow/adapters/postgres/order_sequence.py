"""An order's events in the order intake accepted them: the lock, the counter, the parking lot.

- ``lock`` takes a transaction-scoped advisory lock on the order id, so every replica handles
  one order's sequenced events one transaction at a time — even before the order exists, when
  there is no row to lock (an action parked while its opening commits elsewhere).
- ``orders.applied_seq`` is the last sequence applied (1: the opening).
- ``parked_order_events`` holds events that arrived before the one they follow; the
  transaction that applies the missing one applies them too, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.database import Connection
from shared.events import Event

# The two-key form of advisory locks: a space of its own, apart from the outbox relay's key.
_LOCK_CLASS = 0x0E7A5E


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    routing_key: str
    payload: dict[str, Any]


async def lock(conn: Connection, order_id: UUID) -> None:
    """Hold the order until the caller's transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _LOCK_CLASS, str(order_id))


async def applied_seq(conn: Connection, chain_id: UUID, order_id: UUID) -> int | None:
    """The last sequence applied to the order; None while workflow does not know it."""
    value = await conn.fetchval(
        "SELECT applied_seq FROM orders WHERE order_id = $1 AND chain_id = $2",
        order_id,
        chain_id,
    )
    return None if value is None else int(value)


async def set_applied(conn: Connection, order_id: UUID, seq: int) -> None:
    await conn.execute("UPDATE orders SET applied_seq = $2 WHERE order_id = $1", order_id, seq)


async def park(conn: Connection, event: Event, order_id: UUID, seq: int) -> bool:
    """Keep ``event`` until its turn; False when that sequence is already parked."""
    parked = await conn.fetchval(
        """
        INSERT INTO parked_order_events (order_id, order_seq, chain_id, routing_key, message_id,
            payload)
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


async def take(conn: Connection, chain_id: UUID, order_id: UUID, seq: int) -> ParkedEvent | None:
    """Remove and return the parked event with sequence ``seq``, if it is there."""
    row = await conn.fetchrow(
        """
        DELETE FROM parked_order_events WHERE order_id = $1 AND order_seq = $2 AND chain_id = $3
        RETURNING routing_key, payload
        """,
        order_id,
        seq,
        chain_id,
    )
    return None if row is None else ParkedEvent(row["routing_key"], row["payload"])
