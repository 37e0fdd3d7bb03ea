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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import asyncpg

from intake.adapters.postgres.transactions import PostgresStores
from intake.domain.actions import NewAction
from intake.usecases.act_on_order import record_action
from intake.usecases.ports import Stores
from shared import outbox
from shared.database import Connection
from shared.outbox import OutboxMessage
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    NOW,
    intake_pool,
    new_branch,
    new_chain,
    new_order,
)
from tests.contract.test_workflow_round_trips import CountingConnection


class CountingTransactions:
    """``PostgresTransactions``, with every statement of its connections counted."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.transactions = 0
        self.statements: list[str] = []

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Stores]:
        async with self._pool.acquire() as conn, outbox.committing(conn):
            self.transactions += 1
            counting = CountingConnection(conn)
            yield PostgresStores(cast(Connection, counting))
            self.statements += counting.statements


async def test_an_action_is_one_transaction_of_three_statements(intake_pool: asyncpg.Pool) -> None:
    setup = CountingTransactions(intake_pool)
    async with setup.begin() as stores:
        chain_id = await new_chain(stores)
        order = await new_order(stores, chain_id, await new_branch(stores, chain_id))
    published: list[OutboxMessage] = []

    async def publish(message: OutboxMessage) -> None:
        published.append(message)

    # as in the running service: this process's relay is woken after the commit, no NOTIFY
    relay = outbox.OutboxRelay(intake_pool, publish, database_url=None, poll_interval=30)
    running = asyncio.create_task(relay.run())
    await asyncio.sleep(0.2)  # its first round has run
    counted = CountingTransactions(intake_pool)
    try:
        recorded = await record_action(
            counted,
            chain_id,
            NewAction(order_id=order.order_id, kind="advance", actor="Ana"),
            may_see_branch=lambda _branch: True,
            now=NOW,
            new_id=uuid.uuid4,
            idempotency_key=None,
        )
        for _ in range(100):
            if any(m.message_id == recorded.action.action_id for m in published):
                break
            await asyncio.sleep(0.02)
    finally:
        running.cancel()
    assert any(m.message_id == recorded.action.action_id for m in published)
    assert recorded.created
    assert recorded.branch_zone == "America/Sao_Paulo"
    # the order with its branch's zone; the action with the order's next event number; the
    # outbox row (five statements until 3 December, when the two pairs were read apart)
    assert (counted.transactions, len(counted.statements)) == (1, 3), counted.statements
    assert recorded.action.order_id == order.order_id
    (event,) = [m for m in published if m.message_id == recorded.action.action_id]
    assert event.payload["order_seq"] == 2  # the opening was 1
