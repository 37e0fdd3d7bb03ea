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

from etapa_contracts.events import Event
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
    reads the three orders in one more; per message the state (its lock is held and its row
    read already); the stays, the outbox rows and the timeline entries of all three sent just
    before the commit, one pipelined run per table (``shared.deferred_writes``):
    2 + 3 + 3 = 8 statements, 18 one by one."""
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
            before_commit = await raw.fetchval(
                "SELECT count(*) FROM stage_entries WHERE order_id = ANY($1::uuid[])",
                [o.order_id for o in openings],
            )
        stays = await raw.fetchval(
            "SELECT count(*) FROM stage_entries WHERE order_id = ANY($1::uuid[])",
            [o.order_id for o in openings],
        )

    sent = [s for s in counting.statements if not s.startswith("NOTIFY")]  # no relay runs here
    assert len(sent) == 8, counting.statements
    assert sum(1 for s in sent if "advisory" in s) == 1
    assert sum(1 for s in sent if s.startswith("SELECT o.*")) == 1  # the three orders, ahead
    assert [s.split()[0] for s in sent[-3:]] == ["WITH", "INSERT", "INSERT"]
    assert (before_commit, stays) == (6, 9)  # the third stays were sent at the end
