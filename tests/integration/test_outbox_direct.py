"""Direct publishing (``shared.outbox_direct``) on the real PostgreSQL and RabbitMQ, through
intake's own statement for a staff action: the event is published at once and its row marked,
the relay leaves it alone for its grace; a publish that fails leaves the row to the relay after
the grace and sends the next ones to the relay at once (issue 16)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import uuid
from collections.abc import AsyncIterator, Callable

import aio_pika
import asyncpg
import pytest
from faststream.rabbit import RabbitBroker
from structlog.testing import capture_logs

from intake.adapters.postgres.transactions import PostgresTransactions
from intake.bootstrap import MIGRATIONS
from intake.domain.records import Order
from shared import outbox, outbox_direct
from shared.database import create_pool, drop_database
from shared.messaging import broker_connected, create_broker, event_publisher
from shared.outbox import OutboxMessage, OutboxRelay, Publish
from shared.relay_thread import RelayThread
from shared.runtime import migrate_service_database
from tests.contract.intake_stores import (
    action_event,
    new_action,
    new_branch,
    new_chain,
    new_order,
)
from tests.infra import Infra
from tests.integration.events_queue import bound_queue
from tests.integration.harness import eventually

pytestmark = pytest.mark.integration

ROUTING_KEY = "order.action.v1"


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[str]:
    url = infra.database_url("intake", f"_direct{uuid.uuid4().hex[:6]}")
    await migrate_service_database(url, MIGRATIONS)
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    created = await create_pool(database, min_size=1, max_size=4)
    try:
        yield created
    finally:
        await created.close()


@dataclasses.dataclass
class Bound:
    publish: Publish
    queue: aio_pika.abc.AbstractQueue


@pytest.fixture
async def bound(infra: Infra) -> AsyncIterator[Bound]:
    """A started broker and a queue bound to staff actions on a fresh events exchange."""
    broker = create_broker(infra.amqp_url)
    async with bound_queue(infra, ROUTING_KEY, "direct") as (topology, queue):
        try:
            await broker.start()
            yield Bound(event_publisher(broker, topology), queue)
        finally:
            await broker.stop()


async def _order(transactions: PostgresTransactions) -> Order:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        return await new_order(stores, chain_id, await new_branch(stores, chain_id))


async def _advance(transactions: PostgresTransactions, order: Order) -> uuid.UUID:
    """A staff action as intake records it: one statement, outside a transaction."""
    action = new_action(order.chain_id, order.order_id, "advance", None)
    async with transactions.each_statement() as stores:
        assert await stores.orders.insert_action(action, action_event(action), visible=None)
    return action.action_id


async def _row(pool: asyncpg.Pool, message_id: uuid.UUID) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT published_at, next_attempt_at - now() AS ahead FROM outbox WHERE message_id = $1",
        message_id,
    )
    assert row is not None
    return row


async def _received(
    queue: aio_pika.abc.AbstractQueue, expected: int, timeout: float = 5
) -> list[str]:
    """The ids of the messages in ``queue``, once ``expected`` have come (or ``timeout``
    seconds have passed), and of any that follow within a settle of 0.3 s (a copy too many)."""
    got: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    settle_until: float | None = None
    while True:
        message = await queue.get(timeout=5, fail=False)  # a get answers at once, empty or not
        if message is not None:
            got.append(message.message_id or "")
            await message.ack()
            continue
        if len(got) >= expected and settle_until is None:
            settle_until = loop.time() + 0.3
        if loop.time() > (settle_until if settle_until is not None else deadline):
            return got
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def _running(publisher: outbox_direct.DirectPublisher) -> AsyncIterator[None]:
    task = asyncio.create_task(publisher.run())
    await asyncio.sleep(0)  # it registers as this process's direct publisher
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_action_is_published_at_once_and_marked_and_the_relay_leaves_it(
    pool: asyncpg.Pool, bound: Bound, database: str
) -> None:
    transactions = PostgresTransactions(pool)
    order = await _order(transactions)
    publisher = outbox_direct.DirectPublisher(
        pool, bound.publish, database_url=database, grace=30, service="test"
    )
    async with _running(publisher):
        sent = [await _advance(transactions, order) for _ in range(5)]
        assert await _received(bound.queue, len(sent)) == [str(message_id) for message_id in sent]

        async def marked() -> bool:
            rows = [await _row(pool, message_id) for message_id in sent]
            return all(row["published_at"] is not None for row in rows)

        await eventually(marked, timeout=5, interval=0.02)
        for message_id in sent:  # written 30 s ahead: no relay took it meanwhile
            assert (await _row(pool, message_id))["ahead"].total_seconds() > 25
    relay = OutboxRelay(pool, bound.publish, database_url=None)
    assert (await relay.publish_pending()).published == 0  # marked: nothing for the relay
    assert await _received(bound.queue, 0) == []


async def test_without_a_direct_publisher_the_action_is_due_for_the_relay_at_once(
    pool: asyncpg.Pool, bound: Bound
) -> None:
    transactions = PostgresTransactions(pool)
    order = await _order(transactions)
    message_id = await _advance(transactions, order)
    row = await _row(pool, message_id)
    assert row["published_at"] is None
    assert row["ahead"].total_seconds() <= 0
    relay = OutboxRelay(pool, bound.publish, database_url=None)
    assert (await relay.publish_pending()).published == 1
    assert await _received(bound.queue, 1) == [str(message_id)]


async def test_a_failed_publish_leaves_the_row_to_the_relay_after_its_grace_and_pauses(
    pool: asyncpg.Pool, bound: Bound, database: str
) -> None:
    """The broker refuses the first publish: that row is published by the relay once its
    grace has passed, and the actions after it go to the relay at once (grace 0) until the
    pause ends; nothing is lost, nothing is sent twice."""
    transactions = PostgresTransactions(pool)
    order = await _order(transactions)
    refusals = [1]

    async def refuses_once(message: OutboxMessage) -> None:
        if refusals:
            refusals.pop()
            raise ConnectionError("broker away")
        await bound.publish(message)

    publisher = outbox_direct.DirectPublisher(
        pool, refuses_once, database_url=database, grace=1.0, service="test"
    )
    relay = OutboxRelay(pool, bound.publish, database_url=None)
    async with _running(publisher):
        first = await _advance(transactions, order)
        await eventually(lambda: _paused(publisher), timeout=5, interval=0.02)
        second = await _advance(transactions, order)  # paused: due for the relay at once
        assert (await _row(pool, first))["ahead"].total_seconds() > 0
        assert (await _row(pool, second))["ahead"].total_seconds() <= 0
        assert (await relay.publish_pending()).published == 1  # the second; the first waits
        assert await _received(bound.queue, 1) == [str(second)]
        await asyncio.sleep(1.1)  # the first's grace, and the pause, have passed
        assert (await relay.publish_pending()).published == 1
        assert await _received(bound.queue, 1) == [str(first)]
        third = await _advance(transactions, order)  # direct again
        assert await _received(bound.queue, 1) == [str(third)]
        await eventually(lambda: _published(pool, third), timeout=5, interval=0.02)
    for message_id in (first, second, third):
        assert (await _row(pool, message_id))["published_at"] is not None


async def _paused(publisher: outbox_direct.DirectPublisher) -> bool:
    return publisher.grace() == 0


async def _published(pool: asyncpg.Pool, message_id: uuid.UUID) -> bool:
    return (await _row(pool, message_id))["published_at"] is not None


async def test_inside_a_transaction_the_row_is_the_relays(
    pool: asyncpg.Pool, bound: Bound, database: str
) -> None:
    """An action written inside a transaction is not published before its commit: no grace,
    and the relay is woken as before."""
    publisher = outbox_direct.DirectPublisher(
        pool, bound.publish, database_url=database, grace=30, service="test"
    )
    transactions = PostgresTransactions(pool)
    order = await _order(transactions)
    async with _running(publisher):
        async with pool.acquire() as conn, conn.transaction():
            assert outbox_direct.grace(conn) == 0
        async with pool.acquire() as conn:
            assert outbox_direct.grace(conn) == 30
        action = new_action(order.chain_id, order.order_id, "pause", "cliente viajou")
        async with transactions.begin() as stores:
            assert await stores.orders.insert_action(action, action_event(action), visible=None)
        assert await _received(bound.queue, 0) == []
        assert (await _row(pool, action.action_id))["ahead"].total_seconds() <= 0


async def test_while_the_broker_is_away_the_relay_takes_the_rows_at_once(
    pool: asyncpg.Pool, bound: Bound, database: str
) -> None:
    """A publish on a connection that is down waits for it to come back, and the relay would
    publish the row too after its grace: with the connection down, the row is the relay's at
    once (in ``id`` order with the rest); a publish that outlasts half the grace is given up."""
    connection_up = [False]
    publishes: list[OutboxMessage] = []

    async def hangs(message: OutboxMessage) -> None:
        publishes.append(message)
        await asyncio.sleep(3600)  # the broker never answers

    publisher = outbox_direct.DirectPublisher(
        pool,
        hangs,
        connected=lambda: connection_up[0],
        database_url=database,
        grace=1.0,
        service="test",
    )
    transactions = PostgresTransactions(pool)
    order = await _order(transactions)
    async with _running(publisher):
        down = await _advance(transactions, order)
        assert (await _row(pool, down))["ahead"].total_seconds() <= 0  # the relay's, due now
        assert publishes == []
        connection_up[0] = True
        stuck = await _advance(transactions, order)  # handed over; its publish hangs
        assert (await _row(pool, stuck))["ahead"].total_seconds() > 0
        await eventually(lambda: _paused(publisher), timeout=5, interval=0.02)  # given up
        assert [message.message_id for message in publishes] == [stuck]
    relay = OutboxRelay(pool, bound.publish, database_url=None)
    assert (await relay.publish_pending()).published == 1  # the first; the second waits
    await asyncio.sleep(1.0)  # its grace has passed
    assert (await relay.publish_pending()).published == 1
    assert await _received(bound.queue, 2) == [str(down), str(stuck)]


async def test_another_databases_publisher_is_not_used(
    pool: asyncpg.Pool, bound: Bound, infra: Infra
) -> None:
    """Services run together in one process (as the integration harness runs them) each have
    their own: an action is handed only to the publisher of the database it was written to."""
    elsewhere = infra.database_url("intake", f"_other{uuid.uuid4().hex[:6]}")
    publisher = outbox_direct.DirectPublisher(
        pool, bound.publish, database_url=elsewhere, grace=30, service="test"
    )
    transactions = PostgresTransactions(pool)
    order = await _order(transactions)
    async with _running(publisher):
        message_id = await _advance(transactions, order)
        assert (await _row(pool, message_id))["ahead"].total_seconds() <= 0
        assert await _received(bound.queue, 0) == []  # not handed over


async def test_on_the_relays_thread_an_action_is_published_from_there(
    pool: asyncpg.Pool, database: str, infra: Infra
) -> None:
    """As the services run it: the direct publisher beside the relay on its thread, with the
    thread's broker connection; the action, written on the service's loop, is published from
    the thread at once (the relay would only poll in 30 s) and marked."""
    publishing_threads: set[int] = set()
    transactions = PostgresTransactions(pool)
    order = await _order(transactions)
    async with bound_queue(infra, ROUTING_KEY, "directthread") as (topology, queue):

        def publisher(broker: RabbitBroker) -> Publish:
            publish = event_publisher(broker, topology)

            async def recorded(message: OutboxMessage) -> None:
                publishing_threads.add(threading.get_ident())
                await publish(message)

            return recorded

        relay_thread = RelayThread(
            lambda pool, publish: OutboxRelay(pool, publish, database_url=None, poll_interval=30),
            database_url=database,
            statement_cache_size=100,
            broker=lambda: create_broker(infra.amqp_url),
            publisher=publisher,
            make_direct=lambda pool, broker: outbox_direct.DirectPublisher(
                pool,
                publisher(broker),
                connected=lambda: broker_connected(broker),
                database_url=database,
                grace=30,
            ),
        )
        task = asyncio.create_task(relay_thread.run())
        try:
            # the thread has connected and runs the publisher
            await eventually(lambda: _is_running(database), timeout=10, interval=0.02)
            sent = [await _advance(transactions, order) for _ in range(3)]
            assert await _received(queue, len(sent)) == [str(message_id) for message_id in sent]
            assert publishing_threads
            assert threading.get_ident() not in publishing_threads

            async def marked() -> bool:
                return all([await _published(pool, message_id) for message_id in sent])

            await eventually(marked, timeout=5, interval=0.02)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert not await _is_running(database)  # stopped with the thread


async def _is_running(database: str) -> bool:
    return database in outbox_direct._running


async def test_a_direct_publisher_that_fails_leaves_the_relay_on_its_thread_running(
    pool: asyncpg.Pool, database: str, infra: Infra
) -> None:
    """The publisher shares the relay's thread: should it fail, the relay goes on, and the
    rows are its own at once (no publisher runs for their database)."""

    class Failing(outbox_direct.DirectPublisher):
        async def run(self) -> None:
            raise RuntimeError("the publisher failed")

    transactions = PostgresTransactions(pool)
    order = await _order(transactions)
    async with bound_queue(infra, ROUTING_KEY, "directfails") as (topology, queue):
        relay_thread = RelayThread(
            lambda pool, publish: OutboxRelay(pool, publish, database_url=None, poll_interval=30),
            database_url=database,
            statement_cache_size=100,
            broker=lambda: create_broker(infra.amqp_url),
            publisher=lambda broker: event_publisher(broker, topology),
            make_direct=lambda pool, broker: Failing(
                pool, event_publisher(broker, topology), database_url=database
            ),
        )
        others = set(outbox._local_relays)
        with capture_logs() as logged:
            task = asyncio.create_task(relay_thread.run())
            try:
                await eventually(  # the relay runs, and registered its waker
                    lambda: _relay_started(others), timeout=10, interval=0.02
                )
                message_id = await _advance(transactions, order)
                assert (await _row(pool, message_id))["ahead"].total_seconds() <= 0
                assert await _received(queue, 1) == [str(message_id)]  # the relay, woken
                assert not task.done()
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    crashes = [entry for entry in logged if entry["event"] == "background_task_crashed"]
    assert [entry["task"] for entry in crashes] == ["outbox-direct"]


async def _relay_started(others: set[Callable[[], None]]) -> bool:
    return bool(set(outbox._local_relays) - others)
