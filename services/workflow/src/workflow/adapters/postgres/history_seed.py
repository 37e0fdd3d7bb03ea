"""Delivered orders written straight into the tables the analytics and the review read.

For demo data, tests and benchmarks only: ``orders`` (status ``delivered``) and their closed
``stage_entries``, with COPY so that 100,000 orders load in seconds, and their
``delivered_summaries`` (what the what-if reads; a live order gets its summary when it is
delivered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

import asyncpg


@dataclass(frozen=True, slots=True)
class PastStay:
    position: int
    key: str
    name: str
    entered_at: datetime
    due_at: datetime
    exited_at: datetime


@dataclass(frozen=True, slots=True)
class PastOrder:
    order_id: UUID
    number: str
    branch_id: UUID
    service_type: str
    flow_version: int
    customer_name: str
    lab_code: str | None
    opened_at: datetime
    promised_date: date
    stays: tuple[PastStay, ...]
    paused: timedelta = timedelta(0)

    @property
    def closed_at(self) -> datetime:
        return self.stays[-1].exited_at


_ORDER_COLUMNS = (
    "order_id", "chain_id", "branch_id", "number", "service_type", "flow_version",
    "customer_name", "lab_code", "status", "stage_position", "entry_sequence",
    "stage_entered_at", "stage_due_at", "stage_planned_due_at", "promised_date",
    "promised_date_proposed", "proposed_date", "opened_at", "updated_at", "closed_at",
    "paused_total", "risk_level",
)  # fmt: skip
_STAY_COLUMNS = (
    "order_id", "entry_sequence", "chain_id", "stage_position", "stage_key", "stage_name",
    "entered_at", "planned_due_at", "due_at", "exited_at",
)  # fmt: skip


async def insert_history(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    chain_id: UUID,
    orders: list[PastOrder],
) -> None:
    """Write ``orders``, their stays and their summaries (in the caller's transaction)."""
    order_rows = []
    stay_rows = []
    for order in orders:
        last = order.stays[-1]
        order_rows.append(
            (
                order.order_id, chain_id, order.branch_id, order.number, order.service_type,
                order.flow_version, order.customer_name, order.lab_code, "delivered",
                last.position, len(order.stays), last.entered_at, last.due_at, last.due_at,
                order.promised_date, True, order.promised_date, order.opened_at,
                order.closed_at, order.closed_at, order.paused, "on_track",
            )
        )  # fmt: skip
        for sequence, stay in enumerate(order.stays, start=1):
            stay_rows.append(
                (
                    order.order_id, sequence, chain_id, stay.position, stay.key, stay.name,
                    stay.entered_at, stay.due_at, stay.due_at, stay.exited_at,
                )
            )  # fmt: skip
    await conn.copy_records_to_table("orders", records=order_rows, columns=_ORDER_COLUMNS)
    await conn.copy_records_to_table("stage_entries", records=stay_rows, columns=_STAY_COLUMNS)
    await conn.execute(
        """
        INSERT INTO delivered_summaries
        SELECT s.* FROM unnest($1::uuid[]) AS i (order_id)
        JOIN delivered_summary_source s ON s.order_id = i.order_id
        """,
        [order.order_id for order in orders],
    )


async def has_history(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, chain_id: UUID
) -> bool:
    """Whether the chain has seeded past orders (numbers like ``SP01-H00001``)."""
    found = await conn.fetchval(
        "SELECT true FROM orders WHERE chain_id = $1 AND number LIKE '%-H%' LIMIT 1", chain_id
    )
    return bool(found)
