"""Consumer batches on the real RabbitMQ and PostgreSQL (``shared.consumer_batches``): what a
queue has delivered is applied in one transaction; a failing message falls back to one by one
and goes alone to the dead-letter queue; copies are applied once; an outage holds the batch.

Each test runs a ``Subscriptions`` of its own (service ``probe``) on queue names and a database
of its own. The messages are queued before the consumer starts, so it receives them at once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aio_pika
import asyncpg
import pytest
from prometheus_client import REGISTRY

from etapa_contracts.events import OrderAction
from etapa_contracts.topology import Topology
from shared import outage_hold
from shared.consumer_batches import read_ahead
from shared.database import Connection, create_pool, drop_database, migrate
from shared.messaging import (
    Subscriptions,
    create_broker,
    declare_consumer_queue,
    event_publisher,
)
from shared.outbox import OutboxMessage
from shared.runtime import SHARED_MIGRATIONS
from tests.infra import Infra
from tests.integration.harness import eventually

pytestmark = pytest.mark.integration

ROUTING_KEY = OrderAction.routing_key()
Handler = Callable[[Connection, OrderAction], Awaitable[None]]


@pytest.fixture
async def pool(infra: Infra) -> AsyncIterator[asyncpg.Pool]:
    url = infra.database_url("batches", f"_{uuid.uuid4().hex[:8]}")
    await migrate(url, SHARED_MIGRATIONS)
    created = await create_pool(url, min_size=1, max_size=4)
    await created.execute(
        """
        CREATE TABLE effects (
            n          bigserial PRIMARY KEY,
            message_id uuid NOT NULL,
            order_id   uuid NOT NULL,
            order_seq  int,
            txid       bigint NOT NULL
        )
        """
    )
    try:
        yield created
    finally:
        await created.close()
        await drop_database(url)


def actions(count: int, *, orders: int | None = None) -> list[OrderAction]:
    """``count`` actions; spread over ``orders`` orders (numbered per order), else one each."""
    order_ids = [uuid.uuid4() for _ in range(orders or count)]
    chain_id = uuid.uuid4()
    found: list[OrderAction] = []
    for n in range(count):
        order_id = order_ids[n % len(order_ids)]
        found.append(
            OrderAction(
                occurred_at=datetime.now(UTC),
                correlation_id=f"batch-{n}",
                chain_id=chain_id,
                order_id=order_id,
                action="note",
                note=str(n),
                actor="ana",
                requested_at=datetime.now(UTC),
                order_seq=n // len(order_ids) + 2 if orders else None,
            )
        )
    return found


async def record(conn: Connection, event: OrderAction) -> None:
    """The handler's effect: one row, with the id of the transaction it was written in."""
    await conn.execute(
        "INSERT INTO effects (message_id, order_id, order_seq, txid)"
        " VALUES ($1, $2, $3, txid_current())",
        event.message_id,
        event.order_id,
        event.order_seq,
    )


class Probe:
    """A consumer of ``order.action.v1`` with ``batch``, on a topology of its own."""

    def __init__(
        self,
        infra: Infra,
        pool: asyncpg.Pool,
        batch: int,
        delivery_limit: int = 20,
        linger: float = 0.0,
        priority: int = 0,
        topology: Topology | None = None,
        prefetch_batches: int = 2,
    ):
        self.topology = topology or Topology(
            prefix=f"{infra.prefix}batches{uuid.uuid4().hex[:6]}.", delivery_limit=delivery_limit
        )
        self.priority = priority
        self.prefetch_batches = prefetch_batches
        self.amqp_url = infra.amqp_url
        self.pool = pool
        self.batch = batch
        self.linger = linger
        self.queue = self.topology.queue_name("probe", ROUTING_KEY)
        self.dead_letters = self.topology.dead_letter_queue_name(self.queue)
        self.publisher = create_broker(infra.amqp_url)
        self.consumer = create_broker(infra.amqp_url)
        self.after_commit_calls = 0

    async def queue_up(self, events: list[OrderAction], gap: float = 0.0) -> None:
        """Declare the queue (and its dead-letter queue) and put ``events`` in it, in order,
        ``gap`` seconds apart."""
        await self.publisher.start()
        await declare_consumer_queue(self.publisher, self.topology, "probe", ROUTING_KEY)
        publish = event_publisher(self.publisher, self.topology)
        for n, event in enumerate(events):
            if gap and n:
                await asyncio.sleep(gap)
            await publish(
                OutboxMessage(
                    id=0,
                    message_id=event.message_id,
                    routing_key=ROUTING_KEY,
                    payload=event.model_dump(mode="json"),
                    correlation_id=event.correlation_id,
                )
            )

    async def consume(
        self,
        handler: Handler,
        prepare: Callable[[Connection, list[OrderAction]], Awaitable[None]] | None = None,
    ) -> None:
        def committed() -> None:
            self.after_commit_calls += 1

        subscriptions = Subscriptions(
            self.consumer,
            self.topology,
            "probe",
            self.pool,
            batch=self.batch,
            linger=self.linger,
            prefetch_batches=self.prefetch_batches,
            priority=self.priority,
        )
        subscriptions.add(OrderAction, handler, after_commit=committed, prepare_batch=prepare)
        await self.consumer.start()

    async def count(self, name: str) -> int:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            return queue.declaration_result.message_count or 0

    async def close(self) -> None:
        await self.consumer.stop()
        await self.publisher.stop()
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(self.queue)
            await channel.queue_delete(self.dead_letters)
            await channel.exchange_delete(self.topology.events_exchange)


@pytest.fixture
async def probes(infra: Infra, pool: asyncpg.Pool) -> AsyncIterator[Callable[..., Probe]]:
    made: list[Probe] = []

    def make(
        batch: int,
        delivery_limit: int = 20,
        linger: float = 0.0,
        priority: int = 0,
        beside: Probe | None = None,
        prefetch_batches: int = 2,
    ) -> Probe:
        """A probe; ``beside``: another replica on that probe's queue."""
        topology = beside.topology if beside is not None else None
        made.append(
            Probe(infra, pool, batch, delivery_limit, linger, priority, topology, prefetch_batches)
        )
        return made[-1]

    try:
        yield make
    finally:
        for probe in made:
            await probe.close()


async def effects(pool: asyncpg.Pool, count: int) -> list[asyncpg.Record] | None:
    rows = list(await pool.fetch("SELECT * FROM effects ORDER BY n"))
    return rows if len(rows) >= count else None


async def test_fifty_messages_land_in_a_few_transactions_each_once(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    events = actions(50)
    probe = probes(batch=20)
    await probe.queue_up(events)
    await probe.consume(record)

    rows = await eventually(lambda: effects(pool, 50))
    await asyncio.sleep(0.5)  # a message applied twice would show up by now
    assert sorted(str(r["message_id"]) for r in rows) == sorted(str(e.message_id) for e in events)
    assert len(await pool.fetch("SELECT * FROM effects")) == 50
    transactions = {r["txid"] for r in rows}
    assert len(transactions) <= 8, len(transactions)  # one per message before: 50
    largest = max(sum(r["txid"] == txid for r in rows) for txid in transactions)
    assert 10 <= largest <= 20  # never more than the batch size
    assert probe.after_commit_calls == len(transactions)  # once per batch, not per message
    assert await probe.count(probe.queue) == 0
    labels = {"service": "probe", "consumer": probe.queue}
    assert REGISTRY.get_sample_value("etapa_consumer_batch_messages_sum", labels) == 50
    assert REGISTRY.get_sample_value("etapa_consumer_batch_messages_count", labels) == len(
        transactions
    )


async def test_a_busy_consumers_batch_waits_the_linger_for_more_messages(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    """Ten messages 50 ms apart; the first takes 0.12 s to apply, so the next come while it is
    applied: the consumer is busy. With no linger each would then start a batch of one or two
    as it arrives; with a linger of 1 s the second batch waits for all the others."""
    first_done = asyncio.Event()

    async def slow_first(conn: Connection, event: OrderAction) -> None:
        if not first_done.is_set():
            await asyncio.sleep(0.12)
            first_done.set()
        await record(conn, event)

    probe = probes(batch=20, linger=1.0)
    await probe.consume(slow_first)
    await probe.queue_up(actions(10), gap=0.05)

    rows = await eventually(lambda: effects(pool, 10))
    assert len({r["txid"] for r in rows}) <= 2, [r["txid"] for r in rows]
    assert probe.after_commit_calls <= 2


async def test_a_message_that_finds_its_consumer_idle_does_not_wait_the_linger(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    """Three messages 0.3 s apart to a consumer that keeps up: each is applied before the next
    is sent, well before a linger of 2 s would have let it start."""
    probe = probes(batch=20, linger=2.0)
    await probe.consume(record)
    events = actions(3)

    for n, event in enumerate(events, start=1):
        await probe.queue_up([event])
        await eventually(partial(effects, pool, n), timeout=1.5)
        await asyncio.sleep(0.3)

    rows = await effects(pool, 3)
    assert rows is not None
    assert [r["message_id"] for r in rows] == [e.message_id for e in events]
    assert probe.after_commit_calls == 3


async def test_a_saturated_consumers_next_batch_fills_while_one_is_applied(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    """Nineteen messages wait behind the first, and each takes 30 ms to apply. The broker
    delivers up to two batches' worth (prefetch 2 × batch), so the next batch fills while one
    is applied: 1, 5, 5, 5, 4. With a prefetch of one batch the batch being applied would hold
    back as many deliveries as it has messages, and batches would alternate 4, 1, 4, 1…:
    eight transactions instead of five."""
    all_queued = asyncio.Event()

    async def slow(conn: Connection, event: OrderAction) -> None:
        await all_queued.wait()  # the first batch is applied once the others all wait
        await asyncio.sleep(0.03)
        await record(conn, event)

    probe = probes(batch=5)
    events = actions(20)
    await probe.consume(slow)
    await probe.queue_up(events[:1])
    await probe.queue_up(events[1:])
    all_queued.set()

    rows = await eventually(lambda: effects(pool, 20))
    assert sorted(r["message_id"] for r in rows) == sorted(e.message_id for e in events)
    assert len({r["txid"] for r in rows}) <= 5, [r["txid"] for r in rows]


async def test_with_a_batch_of_one_each_message_is_a_transaction_of_its_own(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    probe = probes(batch=1)
    await probe.queue_up(actions(10))
    await probe.consume(record)

    rows = await eventually(lambda: effects(pool, 10))
    assert len({r["txid"] for r in rows}) == 10
    assert probe.after_commit_calls == 10


async def test_a_failing_message_in_a_batch_is_dead_lettered_alone_and_the_others_commit(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    events = actions(30)
    poison = events[12]
    tries: list[uuid.UUID] = []

    async def handler(conn: Connection, event: OrderAction) -> None:
        await record(conn, event)  # written, then rolled back with the batch
        if event.message_id == poison.message_id:
            tries.append(event.message_id)
            raise ValueError("mensagem envenenada")

    probe = probes(batch=20, delivery_limit=2)
    await probe.queue_up(events)
    await probe.consume(handler)

    async def dead_lettered() -> int | None:
        return await probe.count(probe.dead_letters) or None

    assert await eventually(dead_lettered) == 1
    rows = await eventually(lambda: effects(pool, 29))
    await asyncio.sleep(0.5)
    rows = list(await pool.fetch("SELECT * FROM effects ORDER BY n"))
    good = sorted(str(e.message_id) for e in events if e is not poison)
    assert sorted(str(r["message_id"]) for r in rows) == good  # each once, the poison never
    assert len(tries) >= 3  # in its batch, alone, and alone again at its redelivery
    assert await probe.count(probe.queue) == 0


async def test_copies_of_a_message_in_one_batch_and_one_handled_before_apply_once(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    events = actions(12)
    probe = probes(batch=20)
    await claimed_before(pool, probe.queue, events[0])  # handled earlier: its inbox row is there
    copies = [*events, events[3], events[7], events[3]]  # as a relay that crashed resends them
    await probe.queue_up(copies)
    await probe.consume(record)

    rows = await eventually(lambda: effects(pool, 11))
    await asyncio.sleep(0.5)
    rows = list(await pool.fetch("SELECT * FROM effects ORDER BY n"))
    assert sorted(str(r["message_id"]) for r in rows) == sorted(
        str(e.message_id) for e in events[1:]
    )
    assert await probe.count(probe.queue) == 0


async def claimed_before(pool: asyncpg.Pool, consumer: str, event: OrderAction) -> None:
    await pool.execute(
        "INSERT INTO inbox (consumer, message_id, chain_id) VALUES ($1, $2, $3)",
        consumer,
        event.message_id,
        event.chain_id,
    )


async def test_a_connection_lost_mid_batch_holds_the_batch_and_applies_it_once_without_a_nack(
    probes: Callable[..., Probe], pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One message's handler kills its own database session, twice: each time the whole
    batch is rolled back and tried again; nothing is nacked, nothing is given back."""
    monkeypatch.setattr(outage_hold, "OUTAGE_FIRST_PAUSE", 0.1)
    events = actions(20)
    victim = events[7]
    kills: list[int] = []
    deliveries: dict[uuid.UUID, tuple[bool, Any]] = {}
    probe = probes(batch=20)

    async def handler(conn: Connection, event: OrderAction) -> None:
        raw = probe.consumer.context.get_local("message").raw_message  # the message's own
        assert raw.message_id == str(event.message_id)
        deliveries[event.message_id] = (raw.redelivered, raw.headers.get("x-delivery-count"))
        await record(conn, event)
        if event.message_id == victim.message_id and len(kills) < 2:
            kills.append(1)
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    await probe.queue_up(events)
    await probe.consume(handler)

    rows = await eventually(lambda: effects(pool, 20))
    await asyncio.sleep(0.5)
    rows = list(await pool.fetch("SELECT * FROM effects ORDER BY n"))
    assert len(kills) == 2
    assert sorted(str(r["message_id"]) for r in rows) == sorted(str(e.message_id) for e in events)
    assert len({r["txid"] for r in rows}) <= 3
    assert set(deliveries.values()) == {(False, None)}  # first deliveries, never given back
    assert await probe.count(probe.dead_letters) == 0


async def test_an_orders_messages_keep_their_order_within_a_batch(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    """Five orders' actions, interleaved: each order's are handled in delivery order (the
    batch is sorted by order id, stably), and one order's all run before the next's."""
    events = actions(40, orders=5)
    probe = probes(batch=20)
    await probe.queue_up(events)
    await probe.consume(record)

    rows = await eventually(lambda: effects(pool, 40))
    assert len({r["txid"] for r in rows}) <= 8  # batches, several orders in each
    for order_id in {e.order_id for e in events}:
        seqs = [r["order_seq"] for r in rows if r["order_id"] == order_id]
        assert seqs == list(range(2, 10))
    for txid in {r["txid"] for r in rows}:
        in_batch = [str(r["order_id"]) for r in rows if r["txid"] == txid]
        assert in_batch == sorted(in_batch)  # the locks' order: by order id


async def test_a_deadlock_in_a_batch_falls_back_to_one_by_one_and_nothing_is_given_back(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    """PostgreSQL chose the batch as a deadlock's victim: rolled back, its messages are
    applied one by one, each once, none nacked."""
    events = actions(15)
    victim = events[5]
    deadlocks: list[int] = []
    deliveries: dict[uuid.UUID, tuple[bool, Any]] = {}
    probe = probes(batch=20)

    async def handler(conn: Connection, event: OrderAction) -> None:
        raw = probe.consumer.context.get_local("message").raw_message
        deliveries[event.message_id] = (raw.redelivered, raw.headers.get("x-delivery-count"))
        await record(conn, event)
        if event.message_id == victim.message_id and not deadlocks:
            deadlocks.append(1)
            raise asyncpg.DeadlockDetectedError("deadlock detected")

    await probe.queue_up(events)
    await probe.consume(handler)

    rows = await eventually(lambda: effects(pool, 15))
    await asyncio.sleep(0.5)
    rows = list(await pool.fetch("SELECT * FROM effects ORDER BY n"))
    assert deadlocks == [1]
    assert sorted(str(r["message_id"]) for r in rows) == sorted(str(e.message_id) for e in events)
    assert set(deliveries.values()) == {(False, None)}
    assert await probe.count(probe.dead_letters) == 0


async def test_a_batch_is_prepared_once_with_its_events_in_handler_order(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    """``prepare_batch`` (workflow takes its orders' locks there): once per batch, in the
    batch's transaction, before its handlers, with the batch's events in their lock order."""
    prepared: dict[int, list[OrderAction]] = {}
    first_handled: dict[int, int] = {}

    async def prepare(conn: Connection, events: list[OrderAction]) -> None:
        txid = await conn.fetchval("SELECT txid_current()")
        assert txid not in prepared  # once per transaction
        assert txid not in first_handled  # before any handler of it
        prepared[txid] = events

    async def handle(conn: Connection, event: OrderAction) -> None:
        await record(conn, event)
        first_handled.setdefault(await conn.fetchval("SELECT txid_current()"), 1)

    events = actions(40, orders=5)
    probe = probes(batch=20)
    await probe.queue_up(events)
    await probe.consume(handle, prepare)

    rows = await eventually(lambda: effects(pool, 40))
    batches = {r["txid"] for r in rows}
    assert prepared
    assert set(prepared) <= batches
    for txid in batches:
        handled = [r["message_id"] for r in rows if r["txid"] == txid]
        if len(handled) > 1:  # a lone message is handled as a batch of 1: nothing to prepare
            assert [e.message_id for e in prepared[txid]] == handled  # the handlers' order


async def test_what_a_batchs_prepare_reads_ahead_reaches_its_handlers_and_no_other(
    probes: Callable[..., Probe], pool: asyncpg.Pool
) -> None:
    """``read_ahead()`` (workflow reads a batch's orders there): what a batch's ``prepare``
    put in it, each handler of that batch finds, in a mapping that starts empty for every
    batch; a message handled alone finds None."""
    seen: dict[uuid.UUID, object] = {}

    async def prepare(conn: Connection, events: list[OrderAction]) -> None:
        ahead = read_ahead()
        assert ahead == {}  # nothing left from another batch
        txid = await conn.fetchval("SELECT txid_current()")
        ahead.update({event.message_id: txid for event in events})

    async def handle(conn: Connection, event: OrderAction) -> None:
        await record(conn, event)
        ahead = read_ahead()
        seen[event.message_id] = None if ahead is None else ahead.pop(event.message_id)

    events = actions(40, orders=5)
    probe = probes(batch=20)
    await probe.queue_up(events)
    await probe.consume(handle, prepare)

    rows = await eventually(lambda: effects(pool, 40))
    sizes = {r["txid"]: sum(1 for o in rows if o["txid"] == r["txid"]) for r in rows}
    assert max(sizes.values()) > 1
    for row in rows:
        expected = row["txid"] if sizes[row["txid"]] > 1 else None
        assert seen[row["message_id"]] == expected


def recorded_by(replica: str, seen: list[str]) -> Handler:
    """``record``, noting in ``seen`` which replica applied the message."""

    async def handle(conn: Connection, event: OrderAction) -> None:
        seen.append(replica)
        await record(conn, event)

    return handle


@pytest.mark.parametrize(("low", "takes_all"), [(1, True), (5, False)])
async def test_a_replica_that_keeps_up_takes_every_message_from_the_lower_priority_one(
    probes: Callable[..., Probe], pool: asyncpg.Pool, low: int, takes_all: bool
) -> None:
    """Two replicas of one queue, priorities 5 and 1 (``<SERVICE>_CONSUMER_PRIORITY``), and
    twenty messages 30 ms apart, each applied well before the next: the first takes them all,
    so its batches are not split with the other. With equal priorities (5 and 5) the broker
    shares them round-robin, each replica about half."""
    seen: list[str] = []
    high = probes(batch=20, priority=5)
    other = probes(batch=20, priority=low, beside=high)
    await high.queue_up([])  # declares the queue, so both consume from it
    await high.consume(recorded_by("high", seen))
    await other.consume(recorded_by("low", seen))

    await high.queue_up(actions(20), gap=0.03)
    await eventually(lambda: effects(pool, 20))
    if takes_all:
        assert seen == ["high"] * 20
    else:
        assert 5 <= seen.count("low") <= 15, seen


@pytest.mark.parametrize(("prefetch_batches", "held"), [(2, 10), (5, 25)])
async def test_a_lower_priority_replica_takes_the_overflow_of_a_saturated_one(
    probes: Callable[..., Probe], pool: asyncpg.Pool, prefetch_batches: int, held: int
) -> None:
    """The replica of priority 5 is stuck on its first batch: it holds its prefetch (2 × 5 by
    default; 25 with ``<SERVICE>_CONSUMER_PREFETCH_BATCHES=5``) and the broker gives the rest to
    the replica of priority 1 (a higher priority never leaves messages waiting behind a stuck
    replica beyond its prefetch, as round-robin does not). Once it goes on, every message is
    applied once."""
    seen: list[str] = []
    stuck = asyncio.Event()

    async def stuck_until_set(conn: Connection, event: OrderAction) -> None:
        await stuck.wait()
        seen.append("high")
        await record(conn, event)

    high = probes(batch=5, priority=5, prefetch_batches=prefetch_batches)
    low = probes(batch=5, priority=1, beside=high)
    await high.queue_up([])
    await high.consume(stuck_until_set)
    await low.consume(recorded_by("low", seen))
    events = actions(40)
    await high.queue_up(events)

    await eventually(lambda: effects(pool, 40 - held))
    await asyncio.sleep(0.3)  # were the high replica to hold fewer, the low one would have more
    taken_by_low = seen.count("low")
    stuck.set()  # before asserting: a stuck handler would hold the test's teardown
    assert taken_by_low == 40 - held  # all but the high replica's prefetch
    rows = await eventually(lambda: effects(pool, 40))
    await asyncio.sleep(0.3)  # a message applied twice would show up by now
    assert sorted(r["message_id"] for r in rows) == sorted(e.message_id for e in events)
    assert len(await pool.fetch("SELECT * FROM effects")) == 40
    assert seen.count("high") == held
