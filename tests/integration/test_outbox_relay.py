"""The outbox relay on the real PostgreSQL and RabbitMQ: a batch is sent in order, its confirms
awaited together and its rows marked with one statement; a refused row keeps its place; a
commit wakes the relay of its own process without NOTIFY (issue 16), on its own thread too
(``shared.relay_thread``)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest
import uvloop
from aiormq.exceptions import DeliveryError, PublishError
from faststream.rabbit import RabbitBroker
from pamqp.commands import Basic

from etapa_contracts.events import OrderClosed, UserChanged
from etapa_contracts.topology import Topology
from shared import outbox
from shared.database import create_pool, drop_database, migrate
from shared.loops import LoopHealth
from shared.messaging import create_broker, event_publisher
from shared.outbox import NOTIFY_CHANNEL, OutboxMessage, OutboxRelay, Publish, committing
from shared.relay_thread import RelayThread
from shared.runtime import SHARED_MIGRATIONS
from tests.infra import Infra
from tests.integration.events_queue import bound_queue

pytestmark = pytest.mark.integration

NOTIFIER_MIGRATIONS = Path(__file__).parents[2] / "services/notifier/src/notifier/migrations"
ROUTING_KEY = "order.closed.v1"


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[str]:
    url = infra.database_url("outbox", f"_{uuid.uuid4().hex[:8]}")
    await migrate(url, SHARED_MIGRATIONS, NOTIFIER_MIGRATIONS)
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


def _event(order_id: uuid.UUID | None = None) -> OrderClosed:
    return OrderClosed(
        occurred_at=datetime.now(UTC),
        correlation_id="outbox-test",
        chain_id=uuid.uuid4(),
        order_id=order_id or uuid.uuid4(),
        outcome="delivered",
        closed_at=datetime.now(UTC),
    )


async def _enqueue(pool: asyncpg.Pool, count: int) -> list[uuid.UUID]:
    events = [_event() for _ in range(count)]
    async with pool.acquire() as conn, conn.transaction():
        for event in events:
            await outbox.enqueue(conn, event)
    return [event.message_id for event in events]


async def _rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            "SELECT id, message_id, published_at, attempts, last_error, "
            "next_attempt_at > now() AS backing_off FROM outbox ORDER BY id"
        )
    )


async def _enqueue_and_fail(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, committing(conn):
        await outbox.enqueue(conn, _event())
        raise RuntimeError("rolled back")


def _count_marks(pool_conn: Any, statements: list[str]) -> None:
    pool_conn.add_query_logger(lambda record: statements.append(record.query))


@dataclasses.dataclass
class Bound:
    """A started broker and a queue bound to ``ROUTING_KEY`` on a fresh events exchange."""

    topology: Topology
    broker: RabbitBroker
    queue: aio_pika.abc.AbstractQueue


@pytest.fixture
async def bound(infra: Infra) -> AsyncIterator[Bound]:
    broker = create_broker(infra.amqp_url)
    async with bound_queue(infra, ROUTING_KEY, "outbox") as (topology, queue):
        try:
            await broker.start()
            yield Bound(topology, broker, queue)
        finally:
            await broker.stop()


async def test_a_batch_is_published_in_order_and_marked_with_one_statement(
    bound: Bound, pool: asyncpg.Pool, database: str
) -> None:
    topology, broker, queue = bound.topology, bound.broker, bound.queue
    ids = await _enqueue(pool, 120)

    statements: list[str] = []
    async with pool.acquire() as conn:  # the pool's only idle connection: the relay's
        _count_marks(conn, statements)
    relay = OutboxRelay(
        pool, event_publisher(broker, topology), database_url=database, batch_size=200
    )
    assert (await relay.publish_pending()).published == 120

    rows = await _rows(pool)
    assert all(row["published_at"] is not None for row in rows)
    await asyncio.sleep(0.05)  # the query logger is called soon after each query
    marks = [s for s in statements if "SET published_at" in s]
    assert len(marks) == 1  # before: one UPDATE per row, 120
    # the round, three round trips: BEGIN, the relay lock with the batch in one statement, the
    # mark with COMMIT (asyncpg's own type introspection on a new connection aside)
    round_trips = [s for s in statements if "typeinfo_tree" not in s and "'jit'" not in s]
    ended = next(at for at, statement in enumerate(round_trips) if "COMMIT" in statement)
    assert ended == 2, round_trips  # before: four, the COMMIT on its own
    assert round_trips[0] == "BEGIN"
    assert "outbox_relay_slots" in round_trips[1]  # the slots' locks
    assert "FROM outbox" in round_trips[1]
    assert "SET published_at" in round_trips[2]
    assert round_trips[2].endswith("; COMMIT")

    received: list[str] = []
    while len(received) < 120:
        message = await queue.get(timeout=5, fail=False)
        if message is None:
            break
        received.append(message.message_id or "")
        await message.ack()
    assert received == [str(message_id) for message_id in ids]  # in id order, each once


async def test_the_untraced_publish_sends_what_consumers_read_without_faststreams_layers(
    bound: Bound,
) -> None:
    """Without tracing the relay publishes on the broker's aio-pika exchange, not through
    ``broker.publish``: the message carries what the consumers read (JSON body, id, correlation
    id, persistent), and a key no queue is bound to is refused as this message's trouble."""
    topology, broker, queue = bound.topology, bound.broker, bound.queue

    async def through_faststream(*args: object, **kwargs: object) -> None:
        raise AssertionError("the untraced relay went through broker.publish")

    broker.publish = through_faststream  # type: ignore[method-assign]
    publish = event_publisher(broker, topology)
    event = _event()
    message = OutboxMessage(
        id=1,
        message_id=event.message_id,
        routing_key=ROUTING_KEY,
        payload=event.model_dump(mode="json"),
        correlation_id="corr-1",
        trace_context=None,
    )
    await publish(message)
    got = await queue.get(timeout=5)
    await got.ack()
    assert got.message_id == str(event.message_id)
    assert got.correlation_id == "corr-1"
    assert got.content_type == "application/json"
    assert got.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert OrderClosed.model_validate_json(got.body) == event

    unroutable = dataclasses.replace(message, routing_key="nobody.listens.v1")
    with pytest.raises(PublishError):  # returned (mandatory): the row backs off alone
        await publish(unroutable)


async def test_a_broker_refusal_mid_batch_keeps_that_row_first_and_marks_the_confirmed(
    pool: asyncpg.Pool, database: str
) -> None:
    ids = await _enqueue(pool, 6)
    refused, returned = ids[2], ids[4]

    async def publish(message: OutboxMessage) -> None:
        await asyncio.sleep(0.01)
        if message.message_id == refused:
            raise DeliveryError(
                None, Basic.Nack(delivery_tag=3)
            )  # nacked by the broker: the broker's trouble
        if message.message_id == returned:
            raise ValueError("cannot encode")  # this message's trouble, like a return

    relay = OutboxRelay(pool, publish, database_url=database, poll_interval=0.05)
    assert (await relay.publish_pending()).published == 4

    rows = {row["message_id"]: row for row in await _rows(pool)}
    assert [m for m in ids if rows[m]["published_at"] is None] == [refused, returned]
    assert rows[refused]["attempts"] == 1
    assert "DeliveryError" in rows[refused]["last_error"]
    assert not rows[refused]["backing_off"]  # first in line at the next round
    assert rows[returned]["attempts"] == 1
    assert rows[returned]["backing_off"]

    published: list[uuid.UUID] = []

    async def publish_again(message: OutboxMessage) -> None:
        published.append(message.message_id)

    relay = OutboxRelay(pool, publish_again, database_url=database)
    assert (await relay.publish_pending()).published == 1
    assert published == [refused]


async def test_a_mark_that_fails_rolls_the_round_back_and_the_next_round_sends_again(
    pool: asyncpg.Pool, database: str
) -> None:
    """The mark and the COMMIT go in one simple query: a failing mark leaves the COMMIT unrun,
    the round's transaction is rolled back (its slots' locks with it), nothing is marked, and
    the connection goes back to the pool clean; the next round sends the rows again."""
    ids = await _enqueue(pool, 2)
    await pool.execute(
        """
        CREATE FUNCTION refuse_mark() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'mark refused'; END $$;
        CREATE TRIGGER refuse_mark BEFORE UPDATE OF published_at ON outbox
        FOR EACH ROW EXECUTE FUNCTION refuse_mark();
        """
    )
    published, publish = _recorder()
    relay = OutboxRelay(pool, publish, database_url=database)
    loop = asyncio.get_running_loop()
    complaints: list[str] = []  # asyncpg's, for a connection given back in a transaction
    loop.set_exception_handler(lambda _loop, context: complaints.append(context["message"]))
    try:
        with pytest.raises(asyncpg.RaiseError, match="mark refused"):
            await relay.publish_pending()
    finally:
        loop.set_exception_handler(None)
    assert complaints == []  # the round rolled back itself; the pool had nothing to undo
    assert published == ids
    assert all(row["published_at"] is None for row in await _rows(pool))
    async with pool.acquire() as conn:  # the pool's connection: not left in the transaction
        assert not conn.is_in_transaction()
        held = await conn.fetchval(
            "SELECT count(*) FROM pg_locks JOIN pg_database d ON d.oid = database "
            "WHERE locktype = 'advisory' AND d.datname = current_database()"
        )
        assert held == 0

    await pool.execute("DROP TRIGGER refuse_mark ON outbox")
    assert (await relay.publish_pending()).published == 2
    assert published == ids + ids  # sent again: the consumers' inbox absorbs the copies
    assert all(row["published_at"] is not None for row in await _rows(pool))


async def test_a_commit_wakes_the_local_relay_without_notify(
    pool: asyncpg.Pool, database: str
) -> None:
    listener = await asyncpg.connect(database)
    notified: list[str] = []
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: notified.append(args[3]))
    published: list[float] = []

    async def publish(_message: OutboxMessage) -> None:
        published.append(time.monotonic())

    relay = OutboxRelay(pool, publish, database_url=database, poll_interval=30)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.3)  # its first round found nothing: it naps for 30 s
        committed = time.monotonic()
        async with pool.acquire() as conn, committing(conn):
            await outbox.enqueue(conn, _event())
            await outbox.enqueue(conn, _event())
        for _ in range(100):
            if len(published) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(published) == 2
        assert published[0] - committed < 2  # woken, not the 30 s poll
        await asyncio.sleep(0.2)
        assert notified == []  # before: a NOTIFY per enqueue

        with pytest.raises(RuntimeError):  # a rolled-back transaction wakes nobody
            await _enqueue_and_fail(pool)
        await asyncio.sleep(0.2)
        assert len(published) == 2

        # outside ``committing`` (a script, another process's transaction): one NOTIFY
        async with pool.acquire() as conn, conn.transaction():
            await outbox.enqueue(conn, _event())
        for _ in range(100):
            if notified and len(published) == 3:
                break
            await asyncio.sleep(0.02)
        assert notified == [""]
        assert len(published) == 3
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await listener.close()


async def test_a_relay_woken_while_another_replica_works_its_slots_waits_its_turn(
    pool: asyncpg.Pool, database: str
) -> None:
    ids = await _enqueue(pool, 3)
    other = await asyncpg.connect(database)
    published, publish = _recorder()
    try:
        await other.execute("BEGIN")
        await _hold_slots(other, range(outbox.RELAY_SLOTS))  # another relay holds them all
        relay = OutboxRelay(pool, publish, database_url=database, poll_interval=5)
        pending = asyncio.create_task(relay.publish_pending())
        await asyncio.sleep(0.3)
        assert not pending.done()  # waiting for the other replica's batch, not giving up
        await other.execute("COMMIT")
        assert (await pending).published == 3  # before: 0, the rows waited for the next poll
        assert sorted(published) == sorted(ids)
    finally:
        await other.close()


async def test_two_replicas_relays_publish_different_slots_at_once_each_slot_in_order(
    pool: asyncpg.Pool, database: str
) -> None:
    held, free = _orders_in_two_slots()
    ids = {order: await _enqueue_for(pool, order, 3) for order in (held, free)}
    other = await asyncpg.connect(database)
    published, publish = _recorder()
    try:
        await other.execute("BEGIN")
        await _hold_slots(other, [outbox.relay_slot(_event(held))])  # another relay's batch
        relay = OutboxRelay(pool, publish, database_url=database, poll_interval=5)
        # the free slot at once, without waiting for the other relay (before: waited for it)
        assert await asyncio.wait_for(relay.round(), timeout=2) is True  # go on for the rest
        assert published == ids[free]
        pending = asyncio.create_task(relay.round())
        await asyncio.sleep(0.3)
        assert not pending.done()  # now it waits for the held slot
        await other.execute("COMMIT")
        assert await pending is False
        assert published == ids[free] + ids[held]  # each order's events in their order
    finally:
        await other.close()


async def test_a_relay_takes_slots_until_they_hold_a_batch_and_leaves_the_rest(
    pool: asyncpg.Pool, database: str
) -> None:
    first, second = _orders_in_two_slots()
    ids = {order: await _enqueue_for(pool, order, 3) for order in (first, second)}
    published, publish = _recorder()
    relay = OutboxRelay(pool, publish, database_url=database, batch_size=3)
    assert await relay.round() is True  # one slot held a batch: another round at once
    assert published in (ids[first], ids[second])  # one order's three; the other slot left
    assert await relay.round() is True  # the other slot: a full batch again
    assert sorted(published) == sorted(ids[first] + ids[second])
    assert await relay.round() is False  # nothing left


def test_an_orders_events_share_a_slot_and_a_chains_other_events_theirs() -> None:
    order_id = uuid.uuid4()
    assert len({outbox.relay_slot(_event(order_id)) for _ in range(5)}) == 1
    chain_id = uuid.uuid4()
    users = [
        UserChanged(
            occurred_at=datetime.now(UTC),
            correlation_id="outbox-test",
            chain_id=chain_id,
            user_id=uuid.uuid4(),
            valid_since=datetime.now(UTC),
        )
        for _ in range(5)
    ]
    assert len({outbox.relay_slot(event) for event in users}) == 1
    spread = {outbox.relay_slot(_event(uuid.uuid4())) for _ in range(1000)}
    assert spread == set(range(outbox.RELAY_SLOTS))  # orders spread over every slot


def _recorder() -> tuple[list[uuid.UUID], Publish]:
    """A publish that records the message ids it was given, in order."""
    published: list[uuid.UUID] = []

    async def publish(message: OutboxMessage) -> None:
        published.append(message.message_id)

    return published, publish


def _orders_in_two_slots() -> tuple[uuid.UUID, uuid.UUID]:
    first = uuid.uuid4()
    second = uuid.uuid4()
    while outbox.relay_slot(_event(second)) == outbox.relay_slot(_event(first)):
        second = uuid.uuid4()
    return first, second


async def _enqueue_for(pool: asyncpg.Pool, order_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    events = [_event(order_id) for _ in range(count)]
    async with pool.acquire() as conn, conn.transaction():
        for event in events:
            await outbox.enqueue(conn, event)
    return [event.message_id for event in events]


async def _hold_slots(conn: asyncpg.Connection, slots: Iterable[int]) -> None:
    for slot in slots:
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", outbox.RELAY_LOCK_SPACE, slot)


async def _backends(database: str) -> int:
    conn = await asyncpg.connect(database)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return count
    finally:
        await conn.close()


def _relay_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "outbox-relay"}


async def test_a_commit_wakes_the_relay_on_its_thread_which_publishes_and_stops_cleanly(
    infra: Infra, pool: asyncpg.Pool, database: str
) -> None:
    topology = Topology(prefix=f"{infra.prefix}relaythread-{uuid.uuid4().hex[:6]}.")
    connection = await aio_pika.connect(infra.amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, ROUTING_KEY)
    health = LoopHealth()
    publishing_threads: set[int] = set()
    publishing_loops: set[type] = set()
    published_at: list[float] = []

    def publisher(broker: object) -> Publish:
        publish = event_publisher(broker, topology)  # type: ignore[arg-type]

        async def recorded(message: OutboxMessage) -> None:
            publishing_threads.add(threading.get_ident())
            publishing_loops.add(type(asyncio.get_running_loop()))
            published_at.append(time.monotonic())
            await publish(message)

        return recorded

    relay_thread = RelayThread(
        # a 30 s poll: only a wake across threads relays the events below in time
        lambda pool, publish: OutboxRelay(
            pool, publish, database_url=None, poll_interval=30, health=health
        ),
        database_url=database,
        statement_cache_size=100,
        broker=lambda: create_broker(infra.amqp_url),
        publisher=publisher,
    )
    # the relays of services running in this test process (the harness's) stay as they are
    others, other_wakers = _relay_threads(), set(outbox._local_relays)
    task = asyncio.create_task(relay_thread.run())
    try:
        for _ in range(250):  # its first round found nothing: it naps for 30 s
            if outbox._local_relays - other_wakers:  # it runs, and registered its waker
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        assert len(_relay_threads() - others) == 1

        events = [_event(), _event()]
        async with pool.acquire() as conn, committing(conn):
            for event in events:
                await outbox.enqueue(conn, event)
        committed = time.monotonic()

        received: list[str] = []
        async with queue.iterator(timeout=5) as messages:
            async for message in messages:
                async with message.process():
                    received.append(str(message.message_id))
                if len(received) == 2:
                    break
        assert received == [str(event.message_id) for event in events]  # in order, woken
        assert published_at[0] - committed < 1  # woken at once: not the poll, not by chance
        assert publishing_threads
        assert threading.get_ident() not in publishing_threads
        assert publishing_loops == {uvloop.Loop}  # as the service's own loop under uvicorn
        for _ in range(250):  # marked once confirmed
            if not await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                break
            await asyncio.sleep(0.02)
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await connection.close()

    assert _relay_threads() - others == set()
    assert outbox._local_relays == other_wakers
    assert await _backends(database) == pool.get_size()  # its own connection closed with it
