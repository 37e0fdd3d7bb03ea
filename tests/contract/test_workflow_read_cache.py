"""Workflow's read caches on PostgreSQL: flow versions and branches kept across transactions,
and every change of a branch or of a type's name seen on the next read.

Each step runs in a transaction of its own that commits (as messages do), on one process-wide
``ReadCaches``; a counting connection shows when the cache answered (no query for the branch or
the flow) and when it read again.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, timedelta
from typing import TypeVar, cast
from uuid import UUID

from shared.database import Connection
from tests.contract.workflow_stores import COMMITTED as DATABASE
from tests.counting_connection import CountingConnection
from tests.fakes.workflow_kit import STAGES, T0, new_order, opened_decision, snapshot
from workflow.adapters.city_import import ImportedDay
from workflow.adapters.postgres import city_calendars, responsibles
from workflow.adapters.postgres.read_cache import ReadCaches
from workflow.adapters.postgres.stores import PostgresStores
from workflow.domain.calendar_settings import CalendarSettings, DatedDay
from workflow.domain.flow import Stage
from workflow.domain.records import StaffMember, StoredOrder
from workflow.domain.responsibles import Person

T = TypeVar("T")


@asynccontextmanager
async def _transaction(
    caches: ReadCaches | None = None, *, commit: bool = True
) -> AsyncIterator[tuple[PostgresStores, CountingConnection]]:
    pool = await DATABASE.pool()
    async with pool.acquire() as raw:
        transaction = raw.transaction()
        await transaction.start()
        counting = CountingConnection(raw)
        try:
            yield PostgresStores(cast(Connection, counting), caches), counting
        except BaseException:
            await transaction.rollback()
            raise
        if commit:
            await transaction.commit()
        else:
            await transaction.rollback()


async def _in_transaction(step: Callable[[PostgresStores], Awaitable[T]]) -> T:
    async with _transaction() as (stores, _):
        return await step(stores)


async def _order(
    chain: UUID, code: str = "teste", stages: tuple[Stage, ...] = STAGES
) -> StoredOrder:
    """A branch, version 1 of ``code`` and an order on it, committed."""
    branch = snapshot(city="Campinas")

    async def setup(stores: PostgresStores) -> StoredOrder:
        await stores.branches.ensure(chain, branch, T0 - timedelta(days=1))
        flow, _ = await stores.flows.add_version(chain, code, "Serviço", stages, created_by=None)
        order = new_order(chain, branch.branch_id, service_type=code)
        await stores.orders.insert(
            order,
            opened_decision(flow).state,
            tracking_token=f"tok{uuid.uuid4().hex[:10]}",
            due_explanation=None,
            status_reason=None,
            now=T0,
        )
        loaded = await stores.orders.load(chain, order.order_id)
        assert loaded is not None
        return loaded

    return await _in_transaction(setup)


async def _load(caches: ReadCaches, order: StoredOrder) -> tuple[StoredOrder, list[str]]:
    async with _transaction(caches) as (stores, counting):
        loaded = await stores.orders.load(order.chain_id, order.order_id)
        assert loaded is not None
        return loaded, counting.statements


def _branch_reads(statements: list[str]) -> int:
    return sum(1 for s in statements if "FROM branches" in s and "row_version FROM" in s) + sum(
        1 for s in statements if s.startswith("SELECT branch_id, chain_id, code")
    )


async def test_a_branch_is_read_once_then_again_after_each_change() -> None:
    chain = uuid.uuid4()
    order = await _order(chain)
    caches = ReadCaches()

    first, cold = await _load(caches, order)
    cached, warm = await _load(caches, order)
    assert (len(cold), len(warm)) == (2, 1)  # the order row, then the branch; then the row only
    assert cached.branch == first.branch

    # The branch's own calendar (another replica's API, say): seen on the next read.
    closure = DatedDay(date(2026, 3, 3), "Inventário")
    settings = CalendarSettings(closures=(closure,))

    async def save(stores: PostgresStores) -> None:
        await stores.branches.save_calendar(chain, order.branch_id, settings, actor="a", now=T0)

    await _in_transaction(save)
    changed, statements = await _load(caches, order)
    assert changed.branch.calendar.closures == (closure,)
    assert len(statements) == 2

    # New holidays: the chain imports its city's list; the branch's copy changes.
    async def import_city(stores: PostgresStores) -> None:
        days = [ImportedDay(date(2026, 7, 14), "Aniversário de Campinas")]
        await city_calendars.replace_city_list(
            stores.conn, chain, "SP", "Campinas", days, source="ics", by="a", at=T0
        )

    await _in_transaction(import_city)
    holidays, _ = await _load(caches, order)
    assert holidays.branch.city_holidays is not None
    assert [d.day for d in holidays.branch.city_holidays] == [date(2026, 7, 14)]

    # intake's branch.upserted: a new time zone.
    async def upsert(stores: PostgresStores) -> None:
        moved = snapshot(order.branch_id, city="Campinas", timezone="America/Manaus")
        await stores.branches.upsert(chain, moved, T0)

    await _in_transaction(upsert)
    manaus, _ = await _load(caches, order)
    assert manaus.branch.timezone == "America/Manaus"

    # The chain's optional days, copied to each branch.
    async def optional(stores: PostgresStores) -> None:
        await stores.branches.set_chain_optional_days(chain, ["carnaval"], actor="a", now=T0)

    await _in_transaction(optional)
    chosen, _ = await _load(caches, order)
    assert chosen.branch.optional_days == frozenset({"carnaval"})

    # A change that touches neither updated_at nor calendar_revision (the chain's name, which
    # an opening gives a row kept without it) is seen too.
    async def no_chain_name(stores: PostgresStores) -> None:
        await stores.conn.execute(
            "UPDATE branches SET chain_name = NULL WHERE branch_id = $1", order.branch_id
        )

    async def opening(stores: PostgresStores) -> None:
        named = snapshot(order.branch_id, chain_name="Rede Nova", timezone="America/Manaus")
        await stores.branches.ensure(chain, named, T0 - timedelta(days=9))

    await _in_transaction(no_chain_name)
    unnamed, _ = await _load(caches, order)
    await _in_transaction(opening)
    named, _ = await _load(caches, order)
    assert (unnamed.branch.chain_name, named.branch.chain_name) == (None, "Rede Nova")


async def test_a_branch_read_in_a_rolled_back_transaction_is_never_served() -> None:
    chain = uuid.uuid4()
    order = await _order(chain)
    caches = ReadCaches()
    await _load(caches, order)

    async with _transaction(caches, commit=False) as (stores, _):
        await stores.branches.upsert(
            chain, snapshot(order.branch_id, timezone="America/Manaus"), T0
        )
        seen = await stores.orders.load(chain, order.order_id)
        assert seen is not None
        assert seen.branch.timezone == "America/Manaus"  # its own change, inside

    after, statements = await _load(caches, order)
    assert after.branch.timezone == "America/Sao_Paulo"
    # Read again: the cache held the rolled-back version, whose number no row ever has.
    assert len(statements) == 2


async def test_a_flow_version_is_cached_under_the_types_current_name() -> None:
    chain = uuid.uuid4()
    order = await _order(chain)
    caches = ReadCaches()
    assert order.state is not None
    version = order.state.flow_version

    async def flow_of(expect_queries: int) -> str:
        async with _transaction(caches) as (stores, counting):
            loaded = await stores.orders.load(chain, order.order_id)
            assert loaded is not None
            flow = await stores.flows.for_order(chain, "teste", version)
            assert flow.stages == STAGES
            assert len(counting.statements) == expect_queries, counting.statements
            return flow.name

    assert await flow_of(3) == "Serviço"  # the row, the branch, the flow
    assert await flow_of(1) == "Serviço"  # the row only

    async def rename(stores: PostgresStores) -> None:
        await stores.flows.add_version(chain, "teste", "Serviço novo", STAGES, created_by=None)

    await _in_transaction(rename)
    assert await flow_of(1) == "Serviço novo"  # version 1, under the type's new name


async def test_flow_versions_of_two_chains_never_mix() -> None:
    first_chain, second_chain = uuid.uuid4(), uuid.uuid4()
    other_stages = (replace(STAGES[0], name="Recepção"), *STAGES[1:])
    first = await _order(first_chain)
    second = await _order(second_chain, stages=other_stages)
    caches = ReadCaches()

    for order, stages in ((first, STAGES), (second, other_stages), (first, STAGES)):
        assert order.state is not None
        async with _transaction(caches) as (stores, _):
            await stores.orders.load(order.chain_id, order.order_id)
            flow = await stores.flows.for_order(order.chain_id, "teste", order.state.flow_version)
            assert flow.stages == stages
    assert len(caches.flows) == 2
    assert len(caches.branches) == 2


async def test_the_stage_defaults_read_with_the_order_are_the_stores_answer() -> None:
    """Read with the order's row, they are what a query would give: eligible people only,
    of this chain, type and branch; a person written in the transaction is read again."""
    chain = uuid.uuid4()
    order = await _order(chain)
    ana, rui, viewer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    async def setup(stores: PostgresStores) -> None:
        for user_id, name, role, branches in (
            (ana, "Ana", "attendant", [order.branch_id]),
            (rui, "Rui", "attendant", [uuid.uuid4()]),  # works in another branch
            (viewer, "Vera", "viewer", [order.branch_id]),
        ):
            await stores.staff.upsert(
                StaffMember(user_id, chain, name, role, frozenset(branches), True, T0)
            )
        for key, user_id in (("conferencia", ana), ("producao", rui), ("pronto", viewer)):
            await responsibles.set_default(
                stores.conn, chain, "teste", key, order.branch_id, user_id, by="a", at=T0
            )

    await _in_transaction(setup)
    async with _transaction(ReadCaches()) as (stores, counting):
        await stores.orders.load(chain, order.order_id)
        read = len(counting.statements)
        found = await stores.staff.defaults_for(chain, "teste", order.branch_id)
        assert len(counting.statements) == read  # no query
        queried = await responsibles.defaults_for(stores.conn, chain, "teste", order.branch_id)
        assert found == queried == {"conferencia": Person(str(ana), "Ana")}

        await stores.staff.upsert(
            StaffMember(ana, chain, "Ana", "attendant", frozenset(), True, T0 + timedelta(1))
        )
        assert await stores.staff.defaults_for(chain, "teste", order.branch_id) == {}
