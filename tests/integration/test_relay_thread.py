"""The outbox relay on a thread of its own (``shared.relay_thread``), on the real PostgreSQL and
RabbitMQ: a commit on the service's loop wakes it across threads, it publishes from its thread
on its own broker connection, and stopping it closes what it opened."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from etapa_contracts.events import OrderClosed
from etapa_contracts.topology import Topology
from shared import outbox
from shared.database import create_pool, drop_database, migrate
from shared.loops import LoopHealth
from shared.messaging import create_broker, event_publisher
from shared.outbox import OutboxMessage, OutboxRelay, Publish, committing
from shared.relay_thread import RelayThread
from shared.runtime import SHARED_MIGRATIONS
from tests.infra import Infra

pytestmark = pytest.mark.integration

NOTIFIER_MIGRATIONS = Path(__file__).parents[2] / "services/notifier/src/notifier/migrations"
ROUTING_KEY = "order.closed.v1"


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[str]:
    url = infra.database_url("relaythread", f"_{uuid.uuid4().hex[:8]}")
    await migrate(url, SHARED_MIGRATIONS, NOTIFIER_MIGRATIONS)
    try:
        yield url
    finally:
        await drop_database(url)


def _event() -> OrderClosed:
    return OrderClosed(
        occurred_at=datetime.now(UTC),
        correlation_id="relay-thread-test",
        chain_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        outcome="delivered",
        closed_at=datetime.now(UTC),
    )


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
    infra: Infra, database: str
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
    published_at: list[float] = []

    def publisher(broker: object) -> Publish:
        publish = event_publisher(broker, topology)  # type: ignore[arg-type]

        async def recorded(message: OutboxMessage) -> None:
            publishing_threads.add(threading.get_ident())
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
    pool = await create_pool(database, min_size=1, max_size=2)
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
        for _ in range(250):  # marked once confirmed
            if not await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                break
            await asyncio.sleep(0.02)
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()
        await connection.close()

    assert _relay_threads() - others == set()
    assert outbox._local_relays == other_wakers
    assert await _backends(database) == 0  # its pool closed with it
