"""Contract of workflow's ReviewStore (process reviews, issue 18): the fake and PostgreSQL keep
owners, cadences and reviews, and read the delivered history, the same way.

PostgreSQL's ``read_only`` sets its own isolation level, which a nested transaction cannot, so
these tests do not run in a rolled-back transaction: each works in a chain of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

import asyncpg
import pytest

from tests.contract.workflow_stores import DATABASE
from tests.fakes.history_blocks import orders_of
from tests.fakes.workflow_kit import T0, new_order, opened_decision, seed
from tests.fakes.workflow_stores import FakeReviewStore, FakeStores, FakeWorkflowDatabase
from workflow.adapters.postgres.reviews import PostgresReviewStore
from workflow.adapters.postgres.stores import PostgresStores
from workflow.domain.order_actions import StageEntered
from workflow.domain.order_state import State
from workflow.domain.records import ProcessReviewRecord
from workflow.usecases.ports import ReviewStore, Stores


@dataclass
class World:
    stores: Stores
    reviews: ReviewStore


@pytest.fixture(params=["fake", "postgres"])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    if request.param == "fake":
        db = FakeWorkflowDatabase()
        yield World(FakeStores(db), FakeReviewStore(db))
        return
    pool = await DATABASE.pool()
    async with pool.acquire() as conn:
        yield World(PostgresStores(conn), PostgresReviewStore(conn))


def _review(chain: uuid.UUID, days: int, **changes: object) -> ProcessReviewRecord:
    review = ProcessReviewRecord(
        review_id=uuid.uuid4(),
        chain_id=chain,
        service_type="teste",
        reviewed_by=uuid.uuid4(),
        reviewed_by_name="Gerente",
        reviewed_at=T0 + timedelta(days=days),
        period_from=date(2026, 2, 1),
        period_to=date(2026, 2, 28),
        findings="a conferência atrasa",
        decisions="dois dias na conferência",
        flow_version=1,
        resulting_version=None,
        figures={"delivered": 12, "on_time_rate": 0.75, "late_causes": [{"stage": "producao"}]},
    )
    return replace(review, **changes)  # type: ignore[arg-type]


async def test_a_type_has_a_schedule_with_no_owner_until_one_is_named(world: World) -> None:
    chain = uuid.uuid4()
    async with world.reviews.transaction():
        await seed(world.stores, chain)
    schedule = await world.reviews.schedule(chain, "teste")
    assert schedule is not None
    assert (schedule.code, schedule.name, schedule.version) == ("teste", "Serviço de teste", 1)
    assert (schedule.process_owner, schedule.review_cadence, schedule.owner_since) == (
        None,
        None,
        None,
    )
    assert schedule.last_reviewed_at is None
    assert await world.reviews.schedules(chain) == [schedule]
    assert await world.reviews.schedule(chain, "outro") is None
    assert await world.reviews.schedule(uuid.uuid4(), "teste") is None  # another chain's
    assert await world.reviews.schedules(uuid.uuid4()) == []


async def test_an_owners_clock_starts_when_named_and_stays_while_they_remain(world: World) -> None:
    chain, owner, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await seed(world.stores, chain)
    named = await world.reviews.set_owner(
        chain, "teste", owner=owner, owner_name="Ana", cadence="monthly", now=T0
    )
    assert named
    again = await world.reviews.set_owner(
        chain, "teste", owner=owner, owner_name="Ana S.", cadence="weekly", now=T0 + timedelta(1)
    )
    assert again
    schedule = await world.reviews.schedule(chain, "teste")
    assert schedule is not None
    assert (schedule.process_owner, schedule.process_owner_name) == (owner, "Ana S.")
    assert (schedule.review_cadence, schedule.owner_since) == ("weekly", T0)

    await world.reviews.set_owner(
        chain, "teste", owner=other, owner_name="Bia", cadence="weekly", now=T0 + timedelta(2)
    )
    moved = await world.reviews.schedule(chain, "teste")
    assert moved is not None
    assert (moved.process_owner, moved.owner_since) == (other, T0 + timedelta(2))

    await world.reviews.set_owner(
        chain, "teste", owner=None, owner_name=None, cadence=None, now=T0 + timedelta(3)
    )
    cleared = await world.reviews.schedule(chain, "teste")
    assert cleared is not None
    assert (cleared.process_owner, cleared.review_cadence, cleared.owner_since) == (
        None,
        None,
        None,
    )
    assert not await world.reviews.set_owner(
        chain, "outro", owner=owner, owner_name="Ana", cadence="monthly", now=T0
    )
    assert not await world.reviews.set_owner(
        uuid.uuid4(), "teste", owner=owner, owner_name="Ana", cadence="monthly", now=T0
    )


async def test_reviews_are_kept_whole_and_listed_newest_first_per_chain(world: World) -> None:
    chain = uuid.uuid4()
    await seed(world.stores, chain)
    first, second, third = _review(chain, 1), _review(chain, 3), _review(chain, 2)
    async with world.reviews.transaction():
        for review in (first, second, third):
            await world.reviews.add_review(review)
    other_chain = uuid.uuid4()
    await seed(world.stores, other_chain)
    await world.reviews.add_review(_review(other_chain, 5))

    assert await world.reviews.list_reviews(chain, "teste", 10, 0) == [second, third, first]
    assert await world.reviews.list_reviews(chain, "teste", 1, 0) == [second, third]  # limit + 1
    assert await world.reviews.list_reviews(chain, "teste", 1, 2) == [first]
    assert await world.reviews.list_reviews(chain, "outro", 10, 0) == []
    schedule = await world.reviews.schedule(chain, "teste")
    assert schedule is not None
    assert schedule.last_reviewed_at == second.reviewed_at


async def test_a_failed_transaction_keeps_no_review(world: World) -> None:
    chain = uuid.uuid4()
    await seed(world.stores, chain)

    async def failing() -> None:
        async with world.reviews.transaction():
            await world.reviews.add_review(_review(chain, 1))
            raise RuntimeError("the review's check failed")

    with pytest.raises(RuntimeError):
        await failing()
    assert await world.reviews.list_reviews(chain, "teste", 10, 0) == []


async def test_a_review_of_a_type_the_chain_does_not_have_is_refused(world: World) -> None:
    chain = uuid.uuid4()
    await seed(world.stores, chain)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await world.reviews.add_review(_review(chain, 1, service_type="outro"))
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await world.reviews.add_review(_review(uuid.uuid4(), 1))


async def test_versions_flows_and_branches_are_read_for_the_chain(world: World) -> None:
    chain = uuid.uuid4()
    branch_id, flow = await seed(world.stores, chain)
    assert await world.reviews.version_exists(chain, "teste", 1)
    assert not await world.reviews.version_exists(chain, "teste", 2)
    assert not await world.reviews.version_exists(uuid.uuid4(), "teste", 1)
    assert await world.reviews.latest_flow(chain, "teste") == flow
    assert await world.reviews.latest_flow(uuid.uuid4(), "teste") is None
    branches = await world.reviews.chain_branches(chain)
    assert [b.branch_id for b in branches] == [branch_id]
    assert await world.reviews.chain_branches(uuid.uuid4()) == []


async def _delivered(world: World, chain: uuid.UUID, delivered_hours: float) -> uuid.UUID:
    """An order of ``teste`` opened at T0 and delivered ``delivered_hours`` later, having spent
    the whole time in its first stage (due one business day after T0)."""
    branch_id = next(iter(await world.reviews.chain_branches(chain))).branch_id
    order = new_order(chain, branch_id, number=f"SP01-{uuid.uuid4().int % 10**6:06d}")
    flow = await world.stores.flows.latest(chain, "teste")
    assert flow is not None
    decision = opened_decision(flow, promised=date(2026, 3, 20))
    await world.stores.orders.insert(
        order,
        decision.state,
        tracking_token=f"tok{uuid.uuid4().hex[:10]}",
        due_explanation=None,
        status_reason=None,
        now=T0,
    )
    entered = decision.events[0]
    assert isinstance(entered, StageEntered)
    await world.stores.orders.enter_stage(chain, order.order_id, entered)
    closed_at = T0 + timedelta(hours=delivered_hours)
    await world.stores.orders.close_stage(order.order_id, closed_at)
    delivered = replace(decision.state, status=State.DELIVERED, version=2)
    saved = await world.stores.orders.save_state(
        order.order_id, delivered, 1, now=closed_at, closed=True
    )
    assert saved
    return order.order_id


async def test_the_delivered_history_and_finished_stays_of_a_period(world: World) -> None:
    chain = uuid.uuid4()
    await seed(world.stores, chain)
    on_time = await _delivered(world, chain, 2)  # 14:00 in São Paulo, the same day
    late = await _delivered(world, chain, 60)  # two and a half days later: past its due time

    async with world.reviews.read_only():
        history = await world.reviews.delivered_history(
            chain, "teste", date(2026, 3, 1), date(2026, 3, 31), None
        )
        stays = await world.reviews.finished_stays(
            chain, "teste", date(2026, 3, 2), date(2026, 3, 2), None
        )
        none = await world.reviews.delivered_history(
            chain, "teste", date(2026, 4, 1), date(2026, 4, 30), None
        )
        elsewhere = await world.reviews.delivered_history(
            chain, "teste", date(2026, 3, 1), date(2026, 3, 31), frozenset({uuid.uuid4()})
        )
        blocks = await world.reviews.replay_history(
            chain, "teste", date(2026, 3, 1), date(2026, 3, 31), None
        )
    by_id = {h.order_id: h for h in history}
    # What a replay reads, and the defaults for the rest.
    assert orders_of(blocks) == sorted(
        (
            replace(h, flow_version=0, late_stage=None, late_stages=frozenset(), lab_code=None)
            for h in history
        ),
        key=lambda h: h.order_id,
    )
    assert set(by_id) == {str(on_time), str(late)}
    assert by_id[str(on_time)].stage_seconds == {"conferencia": 2 * 3600.0}
    assert (by_id[str(on_time)].late_stage, by_id[str(on_time)].late_stages) == (None, frozenset())
    assert by_id[str(late)].stage_seconds == {"conferencia": 60 * 3600.0}
    assert by_id[str(late)].late_stage == "conferencia"
    assert by_id[str(late)].delivered_at == T0 + timedelta(hours=60)
    assert (by_id[str(late)].flow_version, by_id[str(late)].outside_seconds) == (1, 0.0)
    # only the stay that ended on 2 March (local day of the exit)
    assert [(s.stage_key, s.exited_at) for s in stays] == [("conferencia", T0 + timedelta(hours=2))]
    assert none == []
    assert elsewhere == []
