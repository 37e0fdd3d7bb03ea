"""Risk through the real database and broker: the sweeper's timers, once-only events,
recovery, and several sweepers at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices, eventually
from tests.integration.order_engine_kit import (
    action,
    now,
    open_and_wait,
    opened_event,
    publish,
    spy,
    wait_for,
    workflow_pool,
)
from workflow.adapters.postgres.orders import PostgresOrderStore
from workflow.bootstrap import create_engine
from workflow.config import WorkflowSettings
from workflow.entrypoints.loops import RiskSweeper

pytestmark = pytest.mark.integration


@pytest.fixture
async def http(chain: SeededChain) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as the chain's administrator (the services require a token)."""
    async with httpx.AsyncClient(timeout=10, headers=chain.headers) as client:
        yield client


FAR_PROMISE = date(2099, 1, 1)
BIG_BATCH = 100_000
"""Test sweepers run an hour or more ahead, when every order of the run may be due: one batch."""


async def age(pool: asyncpg.Pool, order_id: Any, by: timedelta, check_at: datetime) -> None:
    """Move the order's clock back by ``by`` (as if opened that long ago); timer due at
    ``check_at``."""
    await pool.execute(
        """
        UPDATE orders SET opened_at = opened_at - $2::interval,
            stage_entered_at = stage_entered_at - $2,
            stage_due_at = stage_due_at - $2, stage_planned_due_at = stage_planned_due_at - $2,
            projected_completion_at = projected_completion_at - $2, risk_check_at = $3
        WHERE order_id = $1
        """,
        order_id,
        by,
        check_at,
    )


async def risk_events_in_outbox(pool: asyncpg.Pool, order_id: Any) -> list[str]:
    rows = await pool.fetch(
        """
        SELECT payload ->> 'level' AS level FROM outbox
        WHERE routing_key = 'order.risk_changed.v1' AND payload ->> 'order_id' = $1 ORDER BY id
        """,
        str(order_id),
    )
    return [r["level"] for r in rows]


async def test_the_sweeper_announces_overdue_once_and_on_track_after_recovery(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = opened_event(chain, promised_date=FAR_PROMISE)
    placed = await open_and_wait(services, http, opened)
    assert placed["risk_level"] == "on_track"

    async with workflow_pool(services) as pool, spy(services, "order.risk_changed.v1") as seen:
        await age(pool, opened.order_id, timedelta(days=10), now())
        overdue = await wait_for(
            http, services, opened.order_id, lambda d: d["risk_level"] == "overdue"
        )
        # Look again and again: still overdue, nothing more to say.
        for _ in range(3):
            await pool.execute(
                "UPDATE orders SET risk_check_at = now() WHERE order_id = $1", opened.order_id
            )
            await asyncio.sleep(0.5)
        assert await risk_events_in_outbox(pool, opened.order_id) == ["overdue"]

        await publish(services, action(opened, "advance"))
        back = await wait_for(
            http, services, opened.order_id, lambda d: d["risk_level"] == "on_track"
        )
        announced = await eventually(
            lambda: _levels(seen.of(opened.order_id), ["overdue", "on_track"])
        )

    assert announced[0]["reason"].startswith("A etapa “Recebido” venceu em")
    assert announced[0]["branch_id"] == chain.branch["branch_id"]
    assert overdue["risk_reason"] == announced[0]["reason"]
    assert back["risk_reason"] == "Dentro do prazo"
    risk_notes = [t["summary"] for t in back["timeline"] if t["kind"] == "risk_changed"]
    assert [note.split(":")[0] for note in risk_notes] == ["Atrasada", "De volta ao prazo"]


async def _levels(events: list[dict[str, Any]], levels: list[str]) -> list[dict[str, Any]] | None:
    return events if [e["level"] for e in events] == levels else None


async def test_two_sweepers_at_once_announce_each_order_once(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    orders = [opened_event(chain, promised_date=FAR_PROMISE) for _ in range(6)]
    for opened in orders:
        await open_and_wait(services, http, opened)
    # Sweepers an hour ahead: the service's own sweeper (on the real clock) leaves these alone.
    ahead = now() + timedelta(hours=1)
    settings = WorkflowSettings.from_env(services.env)
    engine = create_engine(settings, clock=lambda: ahead)

    async with workflow_pool(services) as pool, workflow_pool(services) as other_pool:
        for opened in orders:
            await age(pool, opened.order_id, timedelta(days=10), ahead - timedelta(minutes=30))
        sweepers = [
            RiskSweeper(p, engine, lambda: ahead, interval=0.1, batch_size=BIG_BATCH)
            for p in (pool, other_pool)
        ]
        swept = await asyncio.gather(*(s.sweep_once() for s in sweepers))
        await asyncio.gather(*(s.sweep_once() for s in sweepers))

        assert sum(swept) >= len(orders)
        for opened in orders:
            assert await risk_events_in_outbox(pool, opened.order_id) == ["overdue"]


async def test_a_claimed_timer_is_skipped_by_another_sweeper(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    orders = [opened_event(chain, promised_date=FAR_PROMISE) for _ in range(2)]
    for opened in orders:
        await open_and_wait(services, http, opened)
    ahead = now() + timedelta(hours=2)
    async with workflow_pool(services) as pool:
        for opened in orders:
            await age(pool, opened.order_id, timedelta(days=10), ahead - timedelta(hours=1))
        ids = {o.order_id for o in orders}
        async with pool.acquire() as first, pool.acquire() as second, first.transaction():
            claimed = set(await PostgresOrderStore(first).due_for_risk_check(ahead, 1000)) & ids
            async with second.transaction():
                also = set(await PostgresOrderStore(second).due_for_risk_check(ahead, 1000)) & ids
        assert claimed == ids
        assert also == set()


async def test_a_stage_that_used_its_share_is_at_risk_right_away(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = opened_event(chain, promised_date=FAR_PROMISE)
    placed = await open_and_wait(services, http, opened)
    entered = datetime.fromisoformat(placed["stage_entered_at"])
    due = datetime.fromisoformat(placed["stage_due_at"])
    # Entered long enough ago that 90 % of the stage's time is used, still before it is due.
    used = (due - entered) * 0.9 + (now() - entered)
    async with workflow_pool(services) as pool:
        await age(pool, opened.order_id, used, now())
    at_risk = await wait_for(
        http, services, opened.order_id, lambda d: d["risk_level"] == "at_risk"
    )
    assert "já usou 90% do prazo (limite 80%)" in at_risk["risk_reason"]
    assert uuid.UUID(at_risk["order_id"]) == opened.order_id


async def test_an_order_that_cannot_be_assessed_stops_no_other(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    broken, sound = (opened_event(chain, promised_date=FAR_PROMISE) for _ in range(2))
    for opened in (broken, sound):
        await open_and_wait(services, http, opened)
    ahead = now() + timedelta(hours=3)
    engine = create_engine(WorkflowSettings.from_env(services.env), clock=lambda: ahead)
    async with workflow_pool(services) as pool:
        for opened in (broken, sound):
            await age(pool, opened.order_id, timedelta(days=10), ahead - timedelta(hours=2))
        # Its flow version is gone: assessing it fails.
        await pool.execute(
            "UPDATE orders SET flow_version = 999 WHERE order_id = $1", broken.order_id
        )

        sweeper = RiskSweeper(pool, engine, lambda: ahead, interval=0.1, batch_size=BIG_BATCH)

        async def swept() -> list[str]:
            await sweeper.sweep_once()
            return await risk_events_in_outbox(pool, sound.order_id)

        # The services' own sweeper may hold the sound order's row for a moment (its rows are
        # taken FOR UPDATE SKIP LOCKED), and a sweep skips it then: sweep again until it is seen.
        assert await eventually(swept) == ["overdue"]
        assert await risk_events_in_outbox(pool, broken.order_id) == []
        retry_at = await pool.fetchval(
            "SELECT risk_check_at FROM orders WHERE order_id = $1", broken.order_id
        )
        assert retry_at > now()
