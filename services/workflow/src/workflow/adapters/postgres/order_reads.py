"""Read models of orders: the filtered list and everything about one order."""

from __future__ import annotations

from dataclasses import dataclass
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
    o.promised_before_proposal, b.timezone AS branch_timezone, o.tracking_token, o.assignee_id,
    v.stages -> o.stage_position ->> 'responsible_role' AS stage_responsible_role
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


# The filters every list of orders takes, as parameters $1..$11 (``OrderFilters.arguments``).
_FILTERS = """
    WHERE o.chain_id = $1
      AND ($2::uuid IS NULL OR o.branch_id = $2)
      AND ($9::uuid[] IS NULL OR o.branch_id = ANY($9::uuid[]))
      AND ($3::text IS NULL OR o.service_type = $3)
      AND ($4::text IS NULL OR v.stages -> o.stage_position ->> 'key' = $4)
      AND ($5::text IS NULL OR o.risk_level = $5)
      AND ($6::text IS NULL OR o.assignee = $6)
      AND ($7::text IS NULL OR o.status = $7
           OR ($7 = 'open' AND o.status IN ('in_progress', 'paused')))
      AND ($8::text IS NULL OR o.number ILIKE '%' || $8 || '%'
           OR o.customer_name ILIKE '%' || $8 || '%'
           OR ($10::text IS NOT NULL AND o.customer_phone_digits LIKE '%' || $10 || '%'))
      AND ($11::uuid IS NULL OR o.assignee_id = $11)
"""


@dataclass(frozen=True, slots=True)
class OrderFilters:
    """What a list of orders is narrowed to; ``None`` is no narrowing."""

    chain_id: UUID
    branches: frozenset[UUID] | None
    """The branches the caller may see (``None``: all of the chain's)."""
    branch_id: UUID | None = None
    service_type: str | None = None
    stage: str | None = None
    risk: str | None = None
    assignee: str | None = None
    """A holder's name, as given in free text."""
    assignee_id: UUID | None = None
    status: str | None = None
    text: str | None = None

    def arguments(self) -> tuple[Any, ...]:
        """The values of ``_FILTERS``' parameters $1..$11."""
        return (
            self.chain_id,
            self.branch_id,
            self.service_type,
            self.stage,
            self.risk,
            self.assignee,
            self.status,
            None if self.text is None else _literal_pattern(self.text),
            None if self.branches is None else list(self.branches),
            phone_digits(self.text),
            self.assignee_id,
        )


async def list_orders(
    conn: Connection, filters: OrderFilters, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""
        SELECT {_LIST_COLUMNS} {_FROM} {_FILTERS}
        ORDER BY o.opened_at DESC, o.order_id LIMIT $12 OFFSET $13
        """,
        *filters.arguments(),
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]


# A column's cards, most urgent first: overdue, at risk, on track; then the stage due soonest;
# then the order number, compared byte by byte (the same whatever the server's locale).
_URGENCY = """
    CASE o.risk_level WHEN 'overdue' THEN 0 WHEN 'at_risk' THEN 1 WHEN 'on_track' THEN 2
        ELSE 3 END,
    o.stage_due_at NULLS LAST, o.number COLLATE "C"
"""


async def board(
    conn: Connection, filters: OrderFilters, *, per_column: int
) -> tuple[list[dict[str, Any]], dict[str, int], list[str]]:
    """The open orders of ``filters`` as a board: each stage's ``per_column`` most urgent orders
    (with ``column_count``, how many the stage holds), and the counters over all of them:
    ``open``, ``at_risk``, ``overdue``, ``deliver_today`` (promised for the day it is now at the
    order's branch), and the names holding any of them.

    Run both reads in one snapshot to have counters that add up to the columns."""
    rows = await conn.fetch(
        f"""
        SELECT * FROM (
            SELECT {_LIST_COLUMNS},
                row_number() OVER column_by_urgency AS column_rank,
                count(*) OVER (PARTITION BY v.stages -> o.stage_position ->> 'key')
                    AS column_count
            {_FROM} {_FILTERS}
            WINDOW column_by_urgency AS (
                PARTITION BY v.stages -> o.stage_position ->> 'key' ORDER BY {_URGENCY})
        ) ranked
        WHERE column_rank <= $12
        ORDER BY stage_position NULLS LAST, stage_key, column_rank
        """,
        *filters.arguments(),
        per_column,
    )
    counters = await conn.fetchrow(
        f"""
        SELECT count(*) AS open,
            count(*) FILTER (WHERE o.risk_level = 'at_risk') AS at_risk,
            count(*) FILTER (WHERE o.risk_level = 'overdue') AS overdue,
            count(*) FILTER (
                WHERE o.promised_date = (now() AT TIME ZONE b.timezone)::date) AS deliver_today,
            coalesce(array_agg(DISTINCT o.assignee ORDER BY o.assignee)
                FILTER (WHERE o.assignee IS NOT NULL), '{{}}') AS assignees
        {_FROM} {_FILTERS}
        """,
        *filters.arguments(),
    )
    assert counters is not None  # an aggregate without GROUP BY answers one row
    counts = dict(counters)
    assignees = list(counts.pop("assignees"))
    return [dict(r) for r in rows], counts, assignees


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
