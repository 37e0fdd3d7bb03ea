"""Analytics over real order history: lead times, stage times, on-time rate.

Times are wall-clock hours: an order from opening to delivery, a stage from entry to exit.
``percentile_cont`` gives the median and the 90th percentile. Dates (``date_from``,
``date_to``, both inclusive) and "on time" are read in each branch's own time zone: an order
is on time when it was delivered on or before its promised date.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

import asyncpg

from shared.database import Connection

GroupBy = Literal["service_type", "branch", "lab"]
Stats = dict[str, object]
"""One row of figures: counts, hours and rates (rounded to 3 places), its group's key."""
Branches = frozenset[UUID] | None
"""The branches to count (None: every branch of the chain)."""
_GROUPS: dict[str, str] = {
    "service_type": "o.service_type",
    "branch": "b.code",
    "lab": "o.lab_code",
}
_STATS = """
    count(*) AS orders,
    avg(hours) AS avg_hours,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median_hours,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90_hours
"""
_DELIVERED = """
    FROM orders o JOIN branches b ON b.branch_id = o.branch_id
    CROSS JOIN LATERAL (SELECT extract(epoch FROM o.closed_at - o.opened_at) / 3600.0 AS hours,
        (o.closed_at AT TIME ZONE b.timezone)::date AS closed_on) t
    WHERE o.status = 'delivered' AND o.chain_id = $1
      AND ($2::uuid[] IS NULL OR o.branch_id = ANY($2::uuid[]))
      AND t.closed_on BETWEEN $3 AND $4
"""
_EXITED = """
    FROM stage_entries s JOIN orders o ON o.order_id = s.order_id
    JOIN branches b ON b.branch_id = o.branch_id
    CROSS JOIN LATERAL (SELECT extract(epoch FROM s.exited_at - s.entered_at) / 3600.0 AS hours,
        extract(epoch FROM greatest(s.exited_at - s.due_at, interval '0')) / 3600.0
            AS late_hours,
        extract(epoch FROM s.planned_due_at - s.entered_at) / 3600.0 AS planned_hours) t
    WHERE s.exited_at IS NOT NULL AND o.chain_id = $1
      AND ($2::uuid[] IS NULL OR o.branch_id = ANY($2::uuid[]))
      AND (s.exited_at AT TIME ZONE b.timezone)::date BETWEEN $3 AND $4
"""


async def lead_times(
    conn: Connection,
    *,
    chain_id: UUID,
    branches: Branches,
    date_from: date,
    date_to: date,
    by: GroupBy,
) -> list[Stats]:
    """Opening-to-delivery time and on-time rate of delivered orders, per group."""
    group = _GROUPS[by]
    rows = await conn.fetch(
        f"""
        SELECT {group} AS key, {_STATS},
            avg((t.closed_on <= o.promised_date)::int) AS on_time_rate
        {_DELIVERED} AND {group} IS NOT NULL
        GROUP BY {group} ORDER BY {group}
        """,
        chain_id,
        None if branches is None else list(branches),
        date_from,
        date_to,
    )
    return [_rounded(r) for r in rows]


async def on_time(
    conn: Connection,
    *,
    chain_id: UUID,
    branches: Branches,
    date_from: date,
    date_to: date,
) -> Stats:
    """Delivered, on time, late and the rate over the period, and the same per week
    (``weeks``: ISO weeks, Monday first, by the delivery day in the branch's zone)."""
    row = await conn.fetchrow(
        f"""
        SELECT count(*) AS delivered,
            count(*) FILTER (WHERE t.closed_on <= o.promised_date) AS on_time,
            count(*) FILTER (WHERE t.closed_on > o.promised_date) AS late,
            avg((t.closed_on <= o.promised_date)::int) AS on_time_rate
        {_DELIVERED}
        """,
        chain_id,
        None if branches is None else list(branches),
        date_from,
        date_to,
    )
    weeks = await conn.fetch(
        f"""
        SELECT t.closed_on - (extract(isodow FROM t.closed_on)::int - 1) AS week,
            count(*) AS delivered,
            count(*) FILTER (WHERE t.closed_on <= o.promised_date) AS on_time,
            avg((t.closed_on <= o.promised_date)::int) AS on_time_rate
        {_DELIVERED}
        GROUP BY week ORDER BY week
        """,
        chain_id,
        None if branches is None else list(branches),
        date_from,
        date_to,
    )
    return {**_rounded(row), "weeks": [_rounded(w) for w in weeks]}


async def stage_times(
    conn: Connection,
    *,
    chain_id: UUID,
    branches: Branches,
    date_from: date,
    date_to: date,
    service_type: str | None,
    slowest: int | None = None,
) -> list[Stats]:
    """Time in each stage of each service type (stays that ended in the period).

    With ``slowest``, only that many stages, slowest (highest average) first.
    """
    order = "avg_hours DESC, service_type, stage_key" if slowest else "service_type, position"
    rows = await conn.fetch(
        f"""
        SELECT o.service_type, s.stage_key, min(s.stage_name) AS stage_name,
            min(s.stage_position) AS position, {_STATS},
            avg(t.late_hours) AS avg_late_hours,
            avg(t.planned_hours) AS avg_planned_hours,
            avg((s.exited_at > s.due_at)::int) AS late_rate
        {_EXITED} AND ($5::text IS NULL OR o.service_type = $5)
        GROUP BY o.service_type, s.stage_key
        ORDER BY {order} LIMIT $6
        """,
        chain_id,
        None if branches is None else list(branches),
        date_from,
        date_to,
        service_type,
        slowest,
    )
    return [_rounded(r) for r in rows]


def _rounded(row: asyncpg.Record | None) -> Stats:
    return {
        key: round(float(value), 3)
        if key.endswith(("_hours", "_rate")) and value is not None
        else value
        for key, value in (dict(row) if row is not None else {}).items()
    }
