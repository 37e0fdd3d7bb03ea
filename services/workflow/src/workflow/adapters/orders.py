"""Order state and timelines in PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from shared.database import Connection
from shared.events import OrderOpened
from workflow.domain.orders import OrderState


async def insert_order(
    conn: Connection,
    opened: OrderOpened,
    state: OrderState | None,
    *,
    due_explanation: str | None,
    status_reason: str | None,
    now: datetime,
) -> bool:
    """Insert the order; False when it exists already (a replayed order.opened)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO orders (order_id, chain_id, branch_id, number, service_type, flow_version,
            customer_name, lab_code, status, status_reason, stage_position, entry_sequence,
            stage_entered_at, stage_due_at, stage_due_explanation, projected_completion_at,
            promised_date, promised_date_proposed, opened_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20)
        ON CONFLICT (order_id) DO NOTHING RETURNING true
        """,
        opened.order_id,
        opened.chain_id,
        opened.branch.branch_id,
        opened.order_number,
        opened.service_type,
        state.flow_version if state else None,
        opened.customer.name,
        opened.lab_code,
        state.status.value if state else "needs_attention",
        status_reason,
        state.stage_position if state else None,
        state.entry_sequence if state else 0,
        state.stage_entered_at if state else None,
        state.stage_due_at if state else None,
        due_explanation,
        state.projected_completion_at if state else None,
        state.promised_date if state else opened.promised_date,
        state.promised_date_proposed if state else False,
        opened.opened_at,
        now,
    )
    return bool(inserted)


async def add_timeline(
    conn: Connection,
    *,
    chain_id: UUID,
    order_id: UUID,
    occurred_at: datetime,
    actor: str,
    kind: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO timeline (chain_id, order_id, occurred_at, actor, kind, summary, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        chain_id,
        order_id,
        occurred_at,
        actor,
        kind,
        summary,
        detail or {},
    )


_LIST_COLUMNS = """
    o.order_id, o.chain_id, o.branch_id, b.code AS branch_code, b.name AS branch_name, o.number,
    o.service_type, o.flow_version, o.customer_name, o.lab_code, o.status, o.status_reason,
    o.stage_position, v.stages -> o.stage_position ->> 'key' AS stage_key,
    v.stages -> o.stage_position ->> 'name' AS stage_name, o.entry_sequence, o.stage_entered_at,
    o.stage_due_at, o.stage_due_explanation, o.projected_completion_at, o.promised_date,
    o.promised_date_proposed, o.opened_at, o.updated_at, o.version
"""
_FROM = """
    FROM orders o JOIN branches b ON b.branch_id = o.branch_id
    LEFT JOIN flow_versions v ON v.chain_id = o.chain_id AND v.service_type = o.service_type
        AND v.version = o.flow_version
"""


async def get_order(conn: Connection, chain_id: UUID, order_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_LIST_COLUMNS} {_FROM} WHERE o.chain_id = $1 AND o.order_id = $2",
        chain_id,
        order_id,
    )
    return dict(row) if row else None


async def get_timeline(conn: Connection, order_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT occurred_at, actor, kind, summary, detail FROM timeline "
        "WHERE order_id = $1 ORDER BY id",
        order_id,
    )
    return [dict(r) for r in rows]


async def list_orders(
    conn: Connection,
    *,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    branch_id: UUID | None,
    service_type: str | None,
    stage: str | None,
    text: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""
        SELECT {_LIST_COLUMNS} {_FROM}
        WHERE o.chain_id = $1
          AND ($2::uuid IS NULL OR o.branch_id = $2)
          AND ($8::uuid[] IS NULL OR o.branch_id = ANY($8::uuid[]))
          AND ($3::text IS NULL OR o.service_type = $3)
          AND ($4::text IS NULL OR v.stages -> o.stage_position ->> 'key' = $4)
          AND ($5::text IS NULL OR o.number ILIKE '%' || $5 || '%'
               OR o.customer_name ILIKE '%' || $5 || '%')
        ORDER BY o.opened_at DESC, o.order_id LIMIT $6 OFFSET $7
        """,
        chain_id,
        branch_id,
        service_type,
        stage,
        text,
        limit + 1,
        offset,
        None if branches is None else list(branches),
    )
    return [dict(r) for r in rows]
