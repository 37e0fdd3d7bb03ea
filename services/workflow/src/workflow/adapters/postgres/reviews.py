"""Process reviews in PostgreSQL: owners and cadences, recorded reviews, and the history read.

The history read (``HISTORY_SQL``) takes one compact row per delivered order from
``delivered_summaries`` (migration 0010: written at delivery, in the same transaction, from the
order's row and its closed ``stage_entries``): seconds per stage key, the stages with a stay
past its due time and the one furthest past. ``ENTRIES_HISTORY_SQL`` gathers the same from
every stage entry (what the analytics read); it gives the same orders, and is kept as the
reference the summaries are checked against. The what-if's read (``REPLAY_HISTORY_SQL``) takes
the same summaries as columns, one row per branch and stages gone through. Every query is
scoped to the caller's chain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from itertools import repeat
from operator import add, sub, truediv
from typing import Any
from uuid import UUID

from shared.database import Connection
from workflow.adapters.postgres.branches import BRANCH_COLUMNS, branch_from_row
from workflow.adapters.postgres.flows import PostgresFlowStore
from workflow.domain.flow import FlowVersion
from workflow.domain.history import HistoricalOrder, HistoryBlock
from workflow.domain.planned_days import Stay
from workflow.domain.records import Branch, ProcessReviewRecord, ReviewScheduleRecord

Branches = frozenset[UUID] | None

_PERIOD = """
      AND o.closed_at >= ($3::date - 1)::timestamptz AND o.closed_at < ($4::date + 2)::timestamptz
      AND (o.closed_at AT TIME ZONE b.timezone)::date BETWEEN $3 AND $4
      AND ($5::uuid[] IS NULL OR o.branch_id = ANY($5::uuid[]))
"""

_DELIVERED = (
    """
    SELECT o.order_id, o.number, o.branch_id, o.flow_version, o.opened_at, o.closed_at,
           o.promised_date, o.lab_code,
           extract(epoch FROM o.paused_total)::float8 AS paused_seconds
    FROM orders o JOIN branches b ON b.branch_id = o.branch_id
    WHERE o.chain_id = $1 AND o.service_type = $2 AND o.status = 'delivered'
"""
    + _PERIOD
)

ENTRIES_HISTORY_SQL = f"""
    SELECT d.*, st.keys, st.seconds, st.over_seconds FROM ({_DELIVERED}) d
    CROSS JOIN LATERAL (
        SELECT array_agg(s.stage_key) AS keys,
               array_agg(extract(epoch FROM s.exited_at - s.entered_at)::float8) AS seconds,
               array_agg(extract(epoch FROM s.exited_at - s.due_at)::float8) AS over_seconds
        FROM stage_entries s WHERE s.order_id = d.order_id AND s.exited_at IS NOT NULL
    ) st
"""
"""The delivered orders of a type (``$1`` chain, ``$2`` type, ``$3``–``$4`` local delivery
days, ``$5`` branches or NULL), one row each with its stays (key, seconds, seconds past due)
gathered by the stage entries' primary key: no large sort or hash to spill to disk."""

HISTORY_SQL = (
    """
    SELECT o.order_id::text, o.number, o.branch_id::text, o.flow_version, o.opened_at,
           o.closed_at, o.promised_date, o.lab_code, o.paused_seconds, o.stage_keys,
           o.stage_seconds, o.late_keys, o.late_stage
    FROM delivered_summaries o JOIN branches b ON b.branch_id = o.branch_id
    WHERE o.chain_id = $1 AND o.service_type = $2
"""
    + _PERIOD
)
"""The same orders as ``ENTRIES_HISTORY_SQL`` (same parameters), one summary row each, in
columns by position for ``summarized_order``."""

REPLAY_HISTORY_SQL = (
    """
    SELECT g.branch, g.keys, g.order_ids, g.numbers, g.opened, g.closed, g.promised,
           ARRAY(SELECT unnest(g.seconds)) FROM (
        SELECT o.branch_id::text AS branch, o.stage_keys AS keys,
               array_agg(o.order_id::text) AS order_ids, array_agg(o.number) AS numbers,
               array_agg((date_part('epoch', o.opened_at) * 1000000)::int8) AS opened,
               array_agg((date_part('epoch', o.closed_at) * 1000000)::int8) AS closed,
               array_agg(o.promised_date - date '0001-01-01' + 1) AS promised,
               array_agg(o.stage_seconds) FILTER (WHERE cardinality(o.stage_keys) > 0)
                   AS seconds
        FROM delivered_summaries o JOIN branches b ON b.branch_id = o.branch_id
        WHERE o.chain_id = $1 AND o.service_type = $2
"""
    + _PERIOD
    + """
        GROUP BY o.branch_id, o.stage_keys
    ) g
"""
)
"""The same orders as ``HISTORY_SQL`` (same parameters) with only what a replay reads, one
row per branch and stage keys, its orders' columns as arrays: instants in microseconds since
the epoch, promised dates as ordinals, and every order's seconds per stage one after the other
(``unnest`` reads the two-dimensional array row by row). For ``history_block``: a few arrays of
numbers cost the client far less to decode than a row, a timestamp or a list per order.

``date_part``'s float8 seconds (the microseconds divided by 10^6, correctly rounded) are within
0.25 µs of the exact value until 2106, so times 10^6 and rounded by the cast they give the
microseconds exactly, at a fraction of ``extract``'s numeric cost."""


_SCHEDULE = """
    SELECT t.code, t.name, t.process_owner, t.process_owner_name, t.review_cadence,
           t.owner_since,
           (SELECT max(r.reviewed_at) FROM process_reviews r
            WHERE r.chain_id = t.chain_id AND r.service_type = t.code) AS last_reviewed_at,
           (SELECT max(v.version) FROM flow_versions v
            WHERE v.chain_id = t.chain_id AND v.service_type = t.code) AS version
    FROM service_types t WHERE t.chain_id = $1
"""


def summarized_order(row: Any) -> HistoricalOrder:
    """One row of ``HISTORY_SQL`` as a ``HistoricalOrder`` (the same as ``historical_order``
    gives for the order's ``ENTRIES_HISTORY_SQL`` row)."""
    (order_id, number, branch, version, opened, closed, promised, lab, paused, keys, seconds,
     late, worst) = row  # fmt: skip
    spent = dict(zip(keys, seconds, strict=True))
    lead = (closed - opened).total_seconds()
    return HistoricalOrder(
        order_id=order_id,
        number=number,
        branch=branch,
        flow_version=version or 0,
        opened_at=opened,
        delivered_at=closed,
        promised_date=promised,
        stage_seconds=spent,
        late_stage=worst,
        late_stages=frozenset(late),
        paused_seconds=paused or 0.0,
        lab_code=lab,
        outside_seconds=max(lead - sum(spent.values()), 0.0),
    )


def history_block(row: Any) -> HistoryBlock:
    """One row of ``REPLAY_HISTORY_SQL`` as a ``HistoryBlock`` (the same columns as
    ``blocks_of`` gives for its orders' ``summarized_order`` values)."""
    branch, keys, order_ids, numbers, opened, closed, promised, seconds = row
    width = len(keys)
    columns = [seconds[index::width] for index in range(width)]
    # As summarized_order: the stays' seconds summed in key order (sum(): 0 + s0 + s1 + ...)
    # and the lead time as (closed - opened).total_seconds().
    spent: Sequence[float] = columns[0] if columns else [0.0] * len(opened)
    for column in columns[1:]:
        spent = list(map(add, spent, column))
    leads = map(truediv, map(sub, closed, opened), repeat(1e6))  # int / 1e6: correctly rounded
    return HistoryBlock(
        branch=branch,
        order_ids=order_ids,
        numbers=numbers,
        opened_us=opened,
        delivered_us=closed,
        promised_days=promised,
        stage_seconds=dict(zip(keys, columns, strict=True)),
        outside_seconds=list(map(max, map(sub, leads, spent), repeat(0.0))),
    )


def historical_order(row: Any) -> HistoricalOrder:
    """One row of ``ENTRIES_HISTORY_SQL`` as a ``HistoricalOrder``."""
    seconds: dict[str, float] = {}
    late: set[str] = set()
    worst, worst_over = None, 0.0
    if row["keys"]:
        for key, spent, over in zip(row["keys"], row["seconds"], row["over_seconds"], strict=True):
            # A stage entered twice (sent back) sums its stays; lateness is per stay.
            seconds[key] = seconds.get(key, 0.0) + spent
            if over > 0:
                late.add(key)
                if over > worst_over:
                    worst, worst_over = key, over
    lead = (row["closed_at"] - row["opened_at"]).total_seconds()
    return HistoricalOrder(
        order_id=str(row["order_id"]),
        number=row["number"],
        branch=str(row["branch_id"]),
        flow_version=row["flow_version"] or 0,
        opened_at=row["opened_at"],
        delivered_at=row["closed_at"],
        promised_date=row["promised_date"],
        stage_seconds=seconds,
        late_stage=worst,
        late_stages=frozenset(late),
        paused_seconds=row["paused_seconds"] or 0.0,
        lab_code=row["lab_code"],
        outside_seconds=max(lead - sum(seconds.values()), 0.0),
    )


class PostgresReviewStore:
    """``usecases.ports.ReviewStore`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[None]:
        """One snapshot, no locks: REPEATABLE READ READ ONLY (and no JIT: its compile time is
        more than it saves on these queries)."""
        async with self._conn.transaction(isolation="repeatable_read", readonly=True):
            await self._conn.execute("SET LOCAL jit = off")
            yield

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._conn.transaction():
            yield

    async def latest_flow(self, chain_id: UUID, service_type: str) -> FlowVersion | None:
        return await PostgresFlowStore(self._conn).latest(chain_id, service_type)

    async def chain_branches(self, chain_id: UUID) -> list[Branch]:
        """Every branch of the chain, with what its calendar is built from."""
        rows = await self._conn.fetch(
            f"SELECT {BRANCH_COLUMNS} FROM branches WHERE chain_id = $1", chain_id
        )
        return [branch_from_row(row) for row in rows]

    async def delivered_history(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: Branches,
    ) -> list[HistoricalOrder]:
        """From the delivered orders' summaries."""
        rows = await self._conn.fetch(
            HISTORY_SQL,
            chain_id,
            service_type,
            date_from,
            date_to,
            None if branches is None else list(branches),
        )
        return [summarized_order(row) for row in rows]

    async def replay_history(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: Branches,
    ) -> list[HistoryBlock]:
        """From the delivered orders' summaries, as blocks."""
        rows = await self._conn.fetch(
            REPLAY_HISTORY_SQL,
            chain_id,
            service_type,
            date_from,
            date_to,
            None if branches is None else list(branches),
        )
        return [history_block(row) for row in rows]

    async def delivered_history_from_entries(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: Branches,
    ) -> list[HistoricalOrder]:
        """The same orders as ``delivered_history``, gathered from every stage entry."""
        rows = await self._conn.fetch(
            ENTRIES_HISTORY_SQL,
            chain_id,
            service_type,
            date_from,
            date_to,
            None if branches is None else list(branches),
        )
        return [historical_order(row) for row in rows]

    async def finished_stays(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: Branches,
    ) -> list[Stay]:
        """Stays in the type's stages that ended in the period (local day of the exit)."""
        rows = await self._conn.fetch(
            """
            SELECT s.stage_key, o.branch_id, s.entered_at, s.exited_at
            FROM stage_entries s JOIN orders o ON o.order_id = s.order_id
            JOIN branches b ON b.branch_id = o.branch_id
            WHERE o.chain_id = $1 AND o.service_type = $2 AND s.exited_at IS NOT NULL
              AND (s.exited_at AT TIME ZONE b.timezone)::date BETWEEN $3 AND $4
              AND ($5::uuid[] IS NULL OR o.branch_id = ANY($5::uuid[]))
            """,
            chain_id,
            service_type,
            date_from,
            date_to,
            None if branches is None else list(branches),
        )
        return [
            Stay(r["stage_key"], str(r["branch_id"]), r["entered_at"], r["exited_at"]) for r in rows
        ]

    async def schedules(self, chain_id: UUID) -> list[ReviewScheduleRecord]:
        """Each service type of the chain with its owner, cadence and last review."""
        rows = await self._conn.fetch(_SCHEDULE + " ORDER BY t.code", chain_id)
        return [ReviewScheduleRecord(**dict(r)) for r in rows]

    async def schedule(self, chain_id: UUID, code: str) -> ReviewScheduleRecord | None:
        row = await self._conn.fetchrow(_SCHEDULE + " AND t.code = $2", chain_id, code)
        return ReviewScheduleRecord(**dict(row)) if row else None

    async def set_owner(
        self,
        chain_id: UUID,
        code: str,
        *,
        owner: UUID | None,
        owner_name: str | None,
        cadence: str | None,
        now: datetime,
    ) -> bool:
        """Name (or clear) the type's owner; a new owner's clock starts now. False: no such type."""
        updated = await self._conn.fetchval(
            """
            UPDATE service_types SET process_owner = $3, process_owner_name = $4,
                review_cadence = $5,
                owner_since = CASE WHEN $3::uuid IS NULL THEN NULL
                                   WHEN process_owner IS DISTINCT FROM $3 THEN $6
                                   ELSE coalesce(owner_since, $6) END
            WHERE chain_id = $1 AND code = $2 RETURNING true
            """,
            chain_id,
            code,
            owner,
            owner_name,
            cadence,
            now,
        )
        return bool(updated)

    async def add_review(self, review: ProcessReviewRecord) -> None:
        await self._conn.execute(
            """
            INSERT INTO process_reviews (review_id, chain_id, service_type, reviewed_by,
                reviewed_by_name, reviewed_at, period_from, period_to, findings, decisions,
                flow_version, resulting_version, figures)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """,
            review.review_id,
            review.chain_id,
            review.service_type,
            review.reviewed_by,
            review.reviewed_by_name,
            review.reviewed_at,
            review.period_from,
            review.period_to,
            review.findings,
            review.decisions,
            review.flow_version,
            review.resulting_version,
            review.figures,
        )

    async def list_reviews(
        self, chain_id: UUID, code: str, limit: int, offset: int
    ) -> list[ProcessReviewRecord]:
        """The type's reviews, newest first (``limit + 1`` rows, for the page's ``has_more``)."""
        rows = await self._conn.fetch(
            """
            SELECT review_id, chain_id, service_type, reviewed_by, reviewed_by_name, reviewed_at,
                   period_from, period_to, findings, decisions, flow_version, resulting_version,
                   figures
            FROM process_reviews WHERE chain_id = $1 AND service_type = $2
            ORDER BY reviewed_at DESC, review_id LIMIT $3 OFFSET $4
            """,
            chain_id,
            code,
            limit + 1,
            offset,
        )
        return [ProcessReviewRecord(**dict(r)) for r in rows]

    async def version_exists(self, chain_id: UUID, code: str, version: int) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT true FROM flow_versions WHERE chain_id = $1 AND service_type = $2 "
                "AND version = $3",
                chain_id,
                code,
                version,
            )
        )
