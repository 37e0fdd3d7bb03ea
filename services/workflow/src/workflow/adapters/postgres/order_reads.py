"""Read models of orders: the filtered list and everything about one order."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.database import Connection

_LIST_COLUMNS = """
    o.order_id, o.chain_id, o.branch_id, b.code AS branch_code, b.name AS branch_name, o.number,
    o.service_type, o.flow_version, o.customer_name, o.lab_code, o.status, o.status_reason,
    o.stage_position, v.stages -> o.stage_position ->> 'key' AS stage_key,
    v.stages -> o.stage_position ->> 'name' AS stage_name, o.entry_sequence, o.stage_entered_at,
    o.stage_due_at, o.stage_due_explanation, o.projected_completion_at, o.promised_date,
    o.promised_date_proposed, o.opened_at, o.updated_at, o.version, o.assignee,
    o.risk_level, o.risk_reason, o.risk_changed_at, o.paused_at,
    extract(epoch FROM o.paused_total)::bigint AS paused_total_seconds, o.lab_status,
    o.lab_eta, o.lab_reported_at, o.reopened_from, o.reopen_kind, o.closed_at,
    o.pause_reason, o.projected_completion_reason, o.projected_from_lab_eta, o.proposed_date,
    o.promised_before_proposal, b.timezone AS branch_timezone, o.tracking_token
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


async def list_orders(
    conn: Connection,
    *,
    chain_id: UUID,
    branches: frozenset[UUID] | None,
    branch_id: UUID | None,
    service_type: str | None,
    stage: str | None,
    risk: str | None,
    assignee: str | None,
    status: str | None,
    text: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""
        SELECT {_LIST_COLUMNS} {_FROM}
        WHERE o.chain_id = $1
          AND ($2::uuid IS NULL OR o.branch_id = $2)
          AND ($11::uuid[] IS NULL OR o.branch_id = ANY($11::uuid[]))
          AND ($3::text IS NULL OR o.service_type = $3)
          AND ($4::text IS NULL OR v.stages -> o.stage_position ->> 'key' = $4)
          AND ($5::text IS NULL OR o.risk_level = $5)
          AND ($6::text IS NULL OR o.assignee = $6)
          AND ($7::text IS NULL OR o.status = $7
               OR ($7 = 'open' AND o.status IN ('in_progress', 'paused')))
          AND ($8::text IS NULL OR o.number ILIKE '%' || $8 || '%'
               OR o.customer_name ILIKE '%' || $8 || '%'
               OR ($12::text IS NOT NULL AND o.customer_phone_digits LIKE '%' || $12 || '%'))
        ORDER BY o.opened_at DESC, o.order_id LIMIT $9 OFFSET $10
        """,
        chain_id,
        branch_id,
        service_type,
        stage,
        risk,
        assignee,
        status,
        None if text is None else _literal_pattern(text),
        limit + 1,
        offset,
        None if branches is None else list(branches),
        phone_digits(text),
    )
    return [dict(r) for r in rows]


def phone_digits(text: str | None) -> str | None:
    """The digits of a search that looks like (part of) a phone: 8 or more, and no letters."""
    if text is None or any(c.isalpha() for c in text):
        return None
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) < 8:
        return None
    return digits[2:] if text.strip().startswith("+55") else digits


async def get_history(conn: Connection, order_id: UUID) -> dict[str, list[dict[str, Any]]]:
    """The order's stage entries, timeline, lab updates, messages and linked orders."""
    stages = await conn.fetch(
        """
        SELECT entry_sequence, stage_position, stage_key, stage_name, entered_at,
            planned_due_at, due_at, exited_at
        FROM stage_entries WHERE order_id = $1 ORDER BY entry_sequence
        """,
        order_id,
    )
    # When it happened, not when it arrived: a lab report with a past time takes its place.
    timeline = await conn.fetch(
        "SELECT occurred_at, coalesce(recorded_at, occurred_at) AS recorded_at, actor, kind, "
        "summary, detail FROM timeline WHERE order_id = $1 ORDER BY occurred_at, id",
        order_id,
    )
    lab_updates = await conn.fetch(
        """
        SELECT lab_code, status, eta, reported_at, received_at, applied, note
        FROM lab_updates WHERE order_id = $1 ORDER BY id
        """,
        order_id,
    )
    messages = await conn.fetch(
        """
        SELECT notification_id, entry_sequence, status, reason, updated_at
        FROM order_messages WHERE order_id = $1 ORDER BY entry_sequence, updated_at
        """,
        order_id,
    )
    linked = await conn.fetch(
        """
        SELECT order_id, number, reopen_kind AS kind, status, opened_at FROM orders
        WHERE reopened_from = $1 ORDER BY opened_at, number
        """,
        order_id,
    )
    return {
        "stages": [dict(r) for r in stages],
        "timeline": [dict(r) for r in timeline],
        "lab_updates": [dict(r) for r in lab_updates],
        "messages": [dict(r) for r in messages],
        "remakes": [dict(r) for r in linked],
    }


async def order_number(conn: Connection, chain_id: UUID, order_id: UUID) -> str | None:
    number: str | None = await conn.fetchval(
        "SELECT number FROM orders WHERE order_id = $1 AND chain_id = $2", order_id, chain_id
    )
    return number


def _literal_pattern(text: str) -> str:
    """``text`` for ILIKE, its ``%`` and ``_`` meaning themselves (escaped with a backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
