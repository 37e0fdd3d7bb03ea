"""Round trips to PostgreSQL per staff action at intake, counted on a real database.

``record_action`` runs as the HTTP handler runs it, through ``PostgresTransactions``; a wrapper
around the pooled connection counts every statement the adapters send, and BEGIN and COMMIT
are the transaction's own (asyncpg sends them; nothing else is sent: the pool's reset query on
release is skipped, ``shared.database``). The bound is the count of this code: a change that
adds a round trip to the action path fails here and has to say so.
"""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from intake.adapters.postgres.transactions import PostgresStores
from intake.domain.actions import NewAction
from intake.usecases.act_on_order import record_action
from intake.usecases.ports import Stores
from shared import outbox
from shared.outbox import OutboxMessage
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    NOW,
    intake_pool,
    new_branch,
    new_chain,
    new_order,
)
from tests.counting_connection import CountingScopes


def counting_transactions(pool: asyncpg.Pool) -> CountingScopes[Stores]:
    """``PostgresTransactions``, with every statement of its connections counted."""
    return CountingScopes[Stores](pool, PostgresStores)


async def _recorded(
    intake_pool: asyncpg.Pool, idempotency_key: str | None
) -> tuple[CountingScopes[Stores], int | None]:
    """An action recorded as the HTTP handler records it, with this process's relay running
    (woken in memory, no NOTIFY): the transactions and statements it took, and the
    ``order_seq`` of the event the relay published."""
    setup = counting_transactions(intake_pool)
    async with setup.begin() as stores:
        chain_id = await new_chain(stores)
        order = await new_order(stores, chain_id, await new_branch(stores, chain_id))
    published: list[OutboxMessage] = []

    async def publish(message: OutboxMessage) -> None:
        published.append(message)

    relay = outbox.OutboxRelay(intake_pool, publish, database_url=None, poll_interval=30)
    running = asyncio.create_task(relay.run())
    await asyncio.sleep(0.2)  # its first round has run
    counted = counting_transactions(intake_pool)
    try:
        recorded = await record_action(
            counted,
            chain_id,
            NewAction(order_id=order.order_id, kind="advance", actor="Ana"),
            visible=None,
            now=NOW,
            new_id=uuid.uuid4,
            idempotency_key=idempotency_key,
        )
        for _ in range(100):  # woken at once: well under the 30 s poll
            if any(m.message_id == recorded.action.action_id for m in published):
                break
            await asyncio.sleep(0.02)
    finally:
        running.cancel()
    assert recorded.created
    assert recorded.branch_zone == "America/Sao_Paulo"
    assert recorded.action.order_id == order.order_id
    events = [m for m in published if m.message_id == recorded.action.action_id]
    return counted, events[0].payload["order_seq"] if events else None


async def test_an_action_is_one_statement_and_no_transaction(intake_pool: asyncpg.Pool) -> None:
    """The order found (with its branch's zone), the action written, its number taken and its
    event stored: one statement. (Five statements in a transaction until 3 December, then
    three, then two with no BEGIN or COMMIT; one since the evening of 3 December.)"""
    counted, order_seq = await _recorded(intake_pool, idempotency_key=None)
    assert (counted.transactions, len(counted.statements)) == (0, 1), counted.statements
    assert order_seq == 2  # the opening was 1


async def test_an_action_with_a_key_is_one_transaction_of_three_statements(
    intake_pool: asyncpg.Pool,
) -> None:
    """The key is claimed before the number is taken, in the same transaction."""
    counted, order_seq = await _recorded(intake_pool, idempotency_key=str(uuid.uuid4()))
    assert (counted.transactions, len(counted.statements)) == (1, 3), counted.statements
    assert order_seq == 2
