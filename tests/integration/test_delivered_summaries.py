"""The what-if's compact history (``delivered_summaries``) against the full one (every stage entry).

On a database of its own with the demo chain's branches and ``venda-oculos-grau`` flow: a
seeded history (``demo_history.synthesize``, as ``make run``'s) plus hand-made orders sent back
to a stage (a key entered twice, its stays summed) with stays late by the same amount. The
summaries written by ``insert_history`` give the same ``HistoricalOrder``s as the stage entries
do, hence the same what-if, suggestions and review figures; an order delivered live gets its
summary at commit, after its last stay is closed, rewritten when a stay is corrected later,
and loses it if it stops being delivered.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from shared.database import create_pool, drop_database
from shared.demo import DEMO_BRANCHES, DEMO_CHAIN_ID
from shared.runtime import migrate_service_database
from tests.fakes.history_blocks import orders_of
from tests.infra import Infra
from workflow.adapters.holidays import CalendarCache
from workflow.adapters.postgres.branches import PostgresBranchStore
from workflow.adapters.postgres.flows import PostgresFlowStore
from workflow.adapters.postgres.history_seed import PastOrder, PastStay, insert_history
from workflow.adapters.postgres.reviews import PostgresReviewStore
from workflow.adapters.postgres.stores import PostgresStores
from workflow.config import MIGRATIONS
from workflow.domain.calendar import DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.history import DeadlineMemo, HistoricalOrder
from workflow.domain.planned_days import suggest_promises
from workflow.domain.what_if import DraftStage, compare, compare_blocks
from workflow.entrypoints.demo_history import synthesize
from workflow.entrypoints.demo_seed import DEMO_FLOWS
from workflow.usecases.save_flow_version import publish_flow

pytestmark = pytest.mark.integration

CODE = "venda-oculos-grau"
NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)
FIRST = NOW.date() - timedelta(days=90)


@dataclass
class Seeded:
    pool: asyncpg.Pool
    flow: FlowVersion
    memos: dict[str, DeadlineMemo]
    branch_id: uuid.UUID


def _sent_back(flow: FlowVersion, branch_id: uuid.UUID, index: int) -> PastOrder:
    """An order whose second stage is entered twice (sent back from the third); the third
    stage's stay and the second stage's second stay end the same 30 minutes past their due
    time: the worst is the one that ended first."""
    keys = [stage.key for stage in flow.stages]
    names = {stage.key: stage.name for stage in flow.stages}
    route = [*keys[:3], keys[1], *keys[2:]]
    opened = datetime(2026, 10, 5, 13, 7, 11, 250_000, tzinfo=UTC) + timedelta(days=index)
    stays, at = [], opened
    for sequence, key in enumerate(route):
        spent = timedelta(hours=3 + 1.37 * sequence, microseconds=123_457 * (sequence + 1))
        over = timedelta(minutes=30) if sequence in (2, 3) else -timedelta(hours=1)
        exited = at + spent
        stays.append(PastStay(keys.index(key), key, names[key], at, exited - over, exited))
        at = exited
    return PastOrder(
        order_id=uuid.uuid4(),
        number=f"SB-{index:03d}",
        branch_id=branch_id,
        service_type=CODE,
        flow_version=flow.version,
        customer_name="Cliente",
        lab_code="LAB-X" if index % 2 else None,
        opened_at=opened,
        promised_date=date(2026, 10, 9) + timedelta(days=index),
        stays=tuple(stays),
        paused=timedelta(hours=index),
    )


@pytest.fixture
async def seeded(infra: Infra) -> AsyncIterator[Seeded]:
    url = infra.database_url("whatif", f"_{uuid.uuid4().hex[:8]}")
    await migrate_service_database(url, MIGRATIONS)
    pool = await create_pool(url, max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            name, stages = DEMO_FLOWS[CODE]
            stores = PostgresStores(conn)
            await publish_flow(stores, DEMO_CHAIN_ID, CODE, name, stages, now=NOW, actor="teste")
            cache = CalendarCache()
            calendars = []
            for branch in DEMO_BRANCHES:
                row = await PostgresBranchStore(conn).ensure(DEMO_CHAIN_ID, branch.snapshot(), NOW)
                calendars.append((branch.branch_id, branch.code, cache.for_branch(row, NOW)))
            flow = await PostgresFlowStore(conn).latest(DEMO_CHAIN_ID, CODE)
            assert flow is not None
            history = synthesize(
                flow, calendars, FIRST, NOW.date() - timedelta(days=10), NOW, random.Random(18),
                orders_per_day=(2, 4),
            )  # fmt: skip
            branch_id = calendars[0][0]
            history += [_sent_back(flow, branch_id, index) for index in range(6)]
            await insert_history(conn, DEMO_CHAIN_ID, history)
        memos = {str(b): DeadlineMemo(calendar) for b, _, calendar in calendars}
        yield Seeded(pool, flow, memos, branch_id)
    finally:
        await pool.close()
        await drop_database(url)


def _by_id(orders: list[HistoricalOrder]) -> list[HistoricalOrder]:
    return sorted(orders, key=lambda order: order.order_id)


async def _both(seeded: Seeded) -> tuple[list[HistoricalOrder], list[HistoricalOrder]]:
    """(from the summaries, from the stage entries), by order id, in one snapshot."""
    async with seeded.pool.acquire() as conn:
        store = PostgresReviewStore(conn)
        async with store.read_only():
            args = (DEMO_CHAIN_ID, CODE, FIRST, NOW.date(), None)
            summary = await store.delivered_history(*args)
            full = await store.delivered_history_from_entries(*args)
    return _by_id(summary), _by_id(full)


async def test_the_summaries_give_the_same_history_and_the_same_answers(seeded: Seeded) -> None:
    summary, full = await _both(seeded)

    assert len(full) > 400
    assert summary == full
    sent_back = [order for order in summary if order.number.startswith("SB-")]
    assert len(sent_back) == 6
    keys = [stage.key for stage in seeded.flow.stages]
    # The second stage's two stays summed (3 h + 1.37 h and 3 h + 4.11 h, plus their microseconds).
    produced = sent_back[0].stage_seconds[keys[1]]
    assert produced == pytest.approx((3 + 1.37) * 3600 + 0.246914 + (3 + 4.11) * 3600 + 0.493828)
    assert {order.late_stage for order in sent_back} == {keys[2]}
    assert {order.late_stages for order in sent_back} == {frozenset(keys[1:3])}

    draft = [DraftStage(stage) for stage in seeded.flow.stages if stage.key != keys[-2]]
    # A new stage with a typed time, and one planned from the calendar.
    draft.insert(1, DraftStage(Stage("nova", "Nova", 1, DayCounting.BUSINESS), 5.5))
    draft.insert(3, DraftStage(Stage("outra", "Outra", 2, DayCounting.CALENDAR)))
    stages = seeded.flow.stages
    from_summary = compare(summary, stages, draft, seeded.memos)
    from_entries = compare(full, stages, draft, seeded.memos)
    assert from_summary == from_entries
    async with seeded.pool.acquire() as conn:
        store = PostgresReviewStore(conn)
        async with store.read_only():
            blocks = await store.replay_history(DEMO_CHAIN_ID, CODE, FIRST, NOW.date(), None)
    lean = orders_of(blocks)
    assert [(o.order_id, o.stage_seconds, o.outside_seconds) for o in lean] == [
        (o.order_id, o.stage_seconds, o.outside_seconds) for o in full
    ]
    assert [(o.opened_at, o.delivered_at, o.promised_date, o.number, o.branch) for o in lean] == [
        (o.opened_at, o.delivered_at, o.promised_date, o.number, o.branch) for o in full
    ]
    # The what-if's own read and replay (blocks as columns) give the same answer.
    assert compare_blocks(blocks, stages, draft, seeded.memos) == from_entries
    assert compare(lean, stages, draft, seeded.memos) == from_entries
    assert from_summary.current.orders == len(full)
    assert from_summary.late_to_on_time + from_summary.on_time_to_late > 0
    assert suggest_promises(summary, seeded.memos) == suggest_promises(full, seeded.memos)


async def test_a_live_delivery_writes_its_summary_at_commit(seeded: Seeded) -> None:
    order_id = uuid.uuid4()
    opened = NOW - timedelta(days=3)
    keys = [stage.key for stage in seeded.flow.stages]
    async with seeded.pool.acquire() as conn:
        await conn.execute(
            """
            INSERT INTO orders (order_id, chain_id, branch_id, number, service_type,
                flow_version, customer_name, status, stage_position, entry_sequence,
                opened_at, updated_at, promised_date)
            VALUES ($1, $2, $3, 'LIVE-1', $4, $5, 'Cliente', 'in_progress', 1, 2, $6, $6, $7)
            """,
            order_id, DEMO_CHAIN_ID, seeded.branch_id, CODE, seeded.flow.version, opened,
            NOW.date(),
        )  # fmt: skip
        for sequence, (key, entered, exited) in enumerate(
            [
                (keys[0], opened, opened + timedelta(hours=5)),
                (keys[1], opened + timedelta(hours=5), None),
            ],
            start=1,
        ):
            await conn.execute(
                """
                INSERT INTO stage_entries (order_id, entry_sequence, chain_id, stage_position,
                    stage_key, stage_name, entered_at, planned_due_at, due_at, exited_at)
                VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $7, $8)
                """,
                order_id, sequence, DEMO_CHAIN_ID, sequence - 1, key, entered,
                entered + timedelta(hours=1), exited,
            )  # fmt: skip
        delivered = NOW - timedelta(hours=2)

        async def summarized() -> bool:
            found = await conn.fetchval(
                "SELECT true FROM delivered_summaries WHERE order_id = $1", order_id
            )
            return bool(found)

        async with conn.transaction():
            # As the order engine does: the status first, then the last stay closed.
            await conn.execute(
                "UPDATE orders SET status = 'delivered', closed_at = $2 WHERE order_id = $1",
                order_id,
                delivered,
            )
            await conn.execute(
                "UPDATE stage_entries SET exited_at = $2 WHERE order_id = $1 AND exited_at IS NULL",
                order_id,
                delivered,
            )
            assert not await summarized()
        assert await summarized()

        summary, full = await _both(seeded)
        (live,) = [order for order in summary if order.number == "LIVE-1"]
        assert live.stage_seconds == {keys[0]: 5 * 3600.0, keys[1]: 65 * 3600.0}
        assert live.late_stages == frozenset(keys[:2])
        assert live.late_stage == keys[1]
        assert summary == full

        # A stay corrected after the delivery (its own transaction) rewrites the summary.
        await conn.execute(
            "UPDATE stage_entries SET exited_at = exited_at - interval '1 hour' "
            "WHERE order_id = $1 AND entry_sequence = 1",
            order_id,
        )
        summary, full = await _both(seeded)
        (live,) = [order for order in summary if order.number == "LIVE-1"]
        assert live.stage_seconds == {keys[0]: 4 * 3600.0, keys[1]: 65 * 3600.0}
        assert live.outside_seconds == 3600.0
        assert summary == full

        await conn.execute("UPDATE orders SET status = 'cancelled' WHERE order_id = $1", order_id)
        assert not await summarized()
