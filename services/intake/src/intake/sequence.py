"""Each order's events are numbered in the order intake accepts them.

The opening is 1 (the column's default); every action or lab status takes the next number in
the transaction that records it and writes its event to the outbox. The ``UPDATE`` locks the
order's row until that transaction ends, so numbers follow commit order and a rolled-back
request gives its number back: an order's sequence has no gaps. Workflow applies an order's
events by this number (``order_seq``) and parks any that arrive early.
"""

from __future__ import annotations

from uuid import UUID

from shared.database import Connection

OPENING_SEQ = 1


async def next_event_seq(conn: Connection, order_id: UUID) -> int:
    """The order's next event number, taken in the caller's transaction."""
    seq = await conn.fetchval(
        "UPDATE orders SET event_seq = event_seq + 1 WHERE order_id = $1 RETURNING event_seq",
        order_id,
    )
    if seq is None:
        raise LookupError(f"order {order_id} not found")
    return int(seq)
