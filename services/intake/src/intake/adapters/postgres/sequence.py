"""Numbers: each branch's order numbers and each order's event numbers (rules in
``intake.domain.orders`` and ``intake.domain.sequence``).

Both are taken with an ``UPDATE … RETURNING`` in the caller's transaction: the row stays locked
until it ends, so numbers follow commit order and a rolled-back request gives its number back.
"""

from __future__ import annotations

from uuid import UUID

from intake.adapters.postgres.directory import BRANCH_COLUMNS, branch_of
from intake.domain.records import NumberedBranch
from shared.database import Connection


class PostgresSequence:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def take_order_number(self, chain_id: UUID, branch_id: UUID) -> NumberedBranch | None:
        row = await self._conn.fetchrow(
            f"UPDATE branches SET next_order_seq = next_order_seq + 1 "
            f"WHERE branch_id = $1 AND chain_id = $2 RETURNING {BRANCH_COLUMNS}, "
            "next_order_seq - 1 AS seq, "
            "(SELECT name FROM chains c WHERE c.chain_id = branches.chain_id) AS chain_name",
            branch_id,
            chain_id,
        )
        if row is None:
            return None
        return NumberedBranch(branch=branch_of(row), seq=row["seq"], chain_name=row["chain_name"])

    async def next_event_seq(self, order_id: UUID) -> int:
        seq = await self._conn.fetchval(
            "UPDATE orders SET event_seq = event_seq + 1 WHERE order_id = $1 RETURNING event_seq",
            order_id,
        )
        if seq is None:
            raise LookupError(f"order {order_id} not found")
        return int(seq)
