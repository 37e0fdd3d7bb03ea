"""Round trips to PostgreSQL per message in workflow's consumers, counted on a real database.

Each handler runs as the consumer runs it (``shared.messaging.Subscriptions``): a transaction,
the inbox claim, the handler. A wrapper around the connection counts every statement the
adapters send (``execute``, ``executemany``, ``fetch``, ``fetchrow``, ``fetchval``); BEGIN,
COMMIT and the pool's reset on release are three more per message, outside what is counted
here. The bounds are the counts of this code: a change that adds a round trip to the action
path fails here and has to say so.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar, cast

import asyncpg
import pytest

from etapa_contracts.events import Event, OrderAction, OrderOpened
from shared import inbox
from shared.clock import Clock
from shared.consumer_batches import reading_ahead
from shared.database import Connection
from shared.outbox import committing
from tests.contract.workflow_stores import COMMITTED as DATABASE
from tests.counting_connection import CountingConnection
from tests.fakes.workflow_kit import (
    STAGES,
    T0,
    action_event,
    message_status,
    opened_event,
    snapshot,
)
from workflow.adapters.holidays import CalendarCache
from workflow.adapters.postgres.stores import PostgresStores
from workflow.entrypoints.consumers import WorkflowHandlers
from workflow.usecases.order_engine import OrderEngine

E = TypeVar("E", bound=Event)


def _engine(clock: Clock) -> OrderEngine:
    return OrderEngine(CalendarCache(), clock, 0.5, new_id=uuid.uuid4)


async def _handle(
    handler: Callable[[Connection, E], Awaitable[None]], event: E, consumer: str = "test"
) -> list[str]:
    """The statements one message costs: its inbox claim and its handler, in a transaction."""
    pool = await DATABASE.pool()
    async with pool.acquire() as raw, raw.transaction():
        conn = CountingConnection(raw)
        counted = cast(Connection, conn)
        assert await inbox.claim(counted, consumer, event.message_id, event.chain_id)
        await handler(counted, event)
    return conn.statements


async def _chain_with_a_flow() -> tuple[uuid.UUID, WorkflowHandlers]:
    """A new chain with the test service type, and handlers whose clock is two hours in."""
    chain = uuid.uuid4()
    pool = await DATABASE.pool()
    async with pool.acquire() as conn, conn.transaction():
        await PostgresStores(conn).flows.add_version(
            chain, "teste", "Serviço de teste", STAGES, created_by=None
        )
    return chain, WorkflowHandlers(_engine(lambda: T0 + timedelta(hours=2)))


async def test_an_advance_into_a_stage_takes_few_round_trips() -> None:
    """An advance into a stage with an SMS: 8 statements with warm caches (18 before issue 16,
    item 3), so 11 round trips with BEGIN, COMMIT and the pool's reset (21 before):

    the inbox claim; the order's advisory lock; the order, read with its sequence, its
    branch's row version, the type's current name, whether events are parked and the stages'
    default people; the state, its risk and its sequence in one UPDATE; the stage entries
    closed and opened in one statement; the outbox row and its NOTIFY (``shared.outbox``); the
    timeline. A cold cache adds the flow version (first message of a version) and the branch
    (first message after it changed). An SMS status: the claim and one statement (4 before).
    """
    chain, handlers = await _chain_with_a_flow()
    opened = opened_event(chain, snapshot())
    await _handle(handlers.on_order_opened, opened, "opened")

    first = await _handle(handlers.on_order_action, action_event(opened, "advance", 2), "action")
    back = await _handle(handlers.on_order_action, action_event(opened, "back", 3, reason="x"))
    warm = await _handle(handlers.on_order_action, action_event(opened, "advance", 4))
    status = await _handle(
        handlers.on_notification_status, message_status(opened, "sent", T0), "status"
    )

    assert len(warm) == len(back) == 8, warm
    assert not any("FOR UPDATE" in s or "applied_seq" in s for s in warm)  # risk, sequence
    assert len(first) == 9  # + the flow version, once
    assert sum(1 for s in first if "flow_versions" in s) == 1
    assert len(status) == 2, status


async def test_a_parked_event_is_looked_for_only_when_one_is_there() -> None:
    chain, handlers = await _chain_with_a_flow()
    pool = await DATABASE.pool()
    opened = opened_event(chain, snapshot())
    await _handle(handlers.on_order_opened, opened, "opened")

    early = await _handle(handlers.on_order_action, action_event(opened, "advance", 3))
    missing = await _handle(handlers.on_order_action, action_event(opened, "note", 2, note="x"))

    assert any("parked_order_events" in s and s.startswith("INSERT") for s in early)
    taken = [s for s in missing if s.startswith("DELETE FROM parked_order_events")]
    assert len(taken) == 2  # seq 3 taken and applied, then nothing at 4
    async with pool.acquire() as conn:
        applied = await conn.fetchval(
            "SELECT applied_seq FROM orders WHERE order_id = $1", opened.order_id
        )
        stage = await conn.fetchval(
            "SELECT stage_position FROM orders WHERE order_id = $1", opened.order_id
        )
    assert (applied, stage) == (3, 1)


async def test_a_batch_sends_its_history_and_events_together_before_the_commit() -> None:
    """Three advances in one ``committing`` transaction, as a consumer batch applies them: the
    batch's ``prepare`` (``prepare_orders``) takes the three orders' locks in one statement and
    reads the three orders in one more; per message nothing (its lock is held and its row read
    already); the states, the stays, the outbox rows and the timeline entries of all three sent
    just before the commit, one pipelined run per table (``shared.deferred_writes``):
    2 + 0 + 4 = 6 statements (8 while each state was saved at once), 18 one by one."""
    chain, handlers = await _chain_with_a_flow()
    pool = await DATABASE.pool()
    openings = [opened_event(chain, snapshot()) for _ in range(3)]
    for opened in openings:
        await _handle(handlers.on_order_opened, opened, "opened")
        await _handle(handlers.on_order_action, action_event(opened, "advance", 2), "warm")

    async with pool.acquire() as raw:
        counting = CountingConnection(raw)
        counted = cast(Connection, counting)
        async with committing(counted):
            events = [action_event(opened, "advance", 3) for opened in openings]
            events.sort(key=lambda e: str(e.order_id))  # the batch's lock order
            with reading_ahead():
                await handlers.prepare_orders(counted, events)
                for event in events:
                    await handlers.on_order_action(counted, event)
            before_commit = await _stays_and_stages(raw, openings)
        after_commit = await _stays_and_stages(raw, openings)

    sent = [s for s in counting.statements if not s.startswith("NOTIFY")]  # no relay runs here
    assert len(sent) == 6, counting.statements
    assert sum(1 for s in sent if "advisory" in s) == 1
    assert sum(1 for s in sent if s.startswith("SELECT o.*")) == 1  # the three orders, ahead
    assert "UPDATE orders" in sent[-4]  # the three states, checked (migration 0012)
    assert [s.split()[0] for s in sent[-4:]] == ["WITH", "WITH", "INSERT", "INSERT"]
    assert before_commit == (6, [1, 1, 1])  # the stays and the states were sent at the end
    assert after_commit == (9, [2, 2, 2])


async def _stays_and_stages(conn: Connection, openings: list[OrderOpened]) -> tuple[int, list[int]]:
    """The orders' stays in stages, and each order's stage position, as ``conn`` sees them."""
    ids = [o.order_id for o in openings]
    stays = await conn.fetchval(
        "SELECT count(*) FROM stage_entries WHERE order_id = ANY($1::uuid[])", ids
    )
    positions = await conn.fetch(
        "SELECT stage_position FROM orders WHERE order_id = ANY($1::uuid[])", ids
    )
    return int(stays), [int(r["stage_position"]) for r in positions]


async def _apply_as_a_batch(
    handlers: WorkflowHandlers, conn: Connection, events: list[OrderAction]
) -> None:
    """``events`` as a consumer batch applies them, in the caller's ``committing``: sorted by
    order (stably), the batch's ``prepare``, then each handler."""
    events = sorted(events, key=lambda e: str(e.order_id))
    with reading_ahead():
        await handlers.prepare_orders(conn, events)
        for event in events:
            await handlers.on_order_action(conn, event)


async def test_a_second_message_of_an_order_in_a_batch_reads_the_first_ones_state() -> None:
    """Two advances of one order in a batch: the first's state is still pending when the
    second loads the order, so the load sends it first; the order moves two stages, and the
    second state is sent at the end with the batch's other writes."""
    chain, handlers = await _chain_with_a_flow()
    pool = await DATABASE.pool()
    opened = opened_event(chain, snapshot())
    await _handle(handlers.on_order_opened, opened, "opened")

    async with pool.acquire() as raw:
        counting = CountingConnection(raw)
        async with committing(cast(Connection, counting)):
            await _apply_as_a_batch(
                handlers,
                cast(Connection, counting),
                [action_event(opened, "advance", 2), action_event(opened, "advance", 3)],
            )
        row = await raw.fetchrow(
            "SELECT stage_position, applied_seq FROM orders WHERE order_id = $1", opened.order_id
        )

    assert row is not None
    assert (row["stage_position"], row["applied_seq"]) == (2, 3)
    saves = [i for i, s in enumerate(counting.statements) if "UPDATE orders" in s]
    loads = [i for i, s in enumerate(counting.statements) if s.startswith("SELECT o.*")]
    assert len(saves) == 2
    assert len(loads) == 2  # read ahead, then the second load
    assert saves[0] < loads[1] < saves[1]


async def test_an_order_changed_by_the_sweeper_meanwhile_fails_the_batch_not_unsaved() -> None:
    """The risk sweeper takes no order lock: it may change a level after the batch read the
    order and before its pending state is sent. The state's statement then matches no row,
    and rather than save nothing it fails, so the batch rolls back (and is applied message by
    message, where the conflict is read and retried: ``shared.consumer_batches``)."""
    chain, handlers = await _chain_with_a_flow()
    pool = await DATABASE.pool()
    opened = opened_event(chain, snapshot())
    await _handle(handlers.on_order_opened, opened, "opened")

    async with pool.acquire() as conn, pool.acquire() as sweeper:

        async def batch_with_the_sweeper_before_its_commit() -> None:
            async with committing(conn):
                await _apply_as_a_batch(handlers, conn, [action_event(opened, "advance", 2)])
                await sweeper.execute(
                    "UPDATE orders SET risk_level = 'overdue' WHERE order_id = $1",
                    opened.order_id,
                )

        with pytest.raises(asyncpg.SerializationError, match="changed after its batch read it"):
            await batch_with_the_sweeper_before_its_commit()
        position = await conn.fetchval(
            "SELECT stage_position FROM orders WHERE order_id = $1", opened.order_id
        )
    assert position == 0  # nothing of the batch committed
