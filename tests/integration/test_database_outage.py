"""A PostgreSQL outage never counts against a message, and HTTP answers 503 + Retry-After.

The outage is real: a throwaway PostgreSQL cluster of this test's own (``initdb`` under /tmp, on
a free port), stopped and started by the test. The shared servers on 5432 and 5672 are never
stopped; the broker here is the run's RabbitMQ, with queue names of this test's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from etapa_contracts.events import OrderAction
from etapa_contracts.topology import Topology
from shared import database, messaging, outage_hold
from shared.database import Connection, create_pool, migrate
from shared.messaging import Subscriptions, create_broker
from shared.outbox import OutboxMessage
from shared.runtime import SHARED_MIGRATIONS, ServiceRuntime
from shared.settings import ServiceSettings
from shared.web import RETRY_AFTER_SECONDS, create_service_app
from tests.infra import TEST_PUBLIC_KEY, Infra, bearer
from tests.integration.harness import RunningServices, eventually, free_port
from tests.own_postgres import OwnPostgres
from tests.own_postgres import own_postgres as own_cluster

pytestmark = pytest.mark.integration


@pytest.fixture
async def own_postgres() -> AsyncIterator[OwnPostgres]:
    async with own_cluster() as cluster:
        yield cluster


@pytest.mark.parametrize("batch", [1, 20])
async def test_messages_that_arrive_during_an_outage_wait_for_the_database_without_a_nack(
    services: RunningServices,
    own_postgres: OwnPostgres,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
) -> None:
    """The outage outlasts the delivery limit (3) several times over; each message is handled
    once, as a first delivery, when the database is back, and nothing is dead-lettered. Batch
    1: one at a time. Batch 20: the first message arrives alone and its batch is held; the
    others wait, unacked, for the next batch."""
    monkeypatch.setattr(outage_hold, "OUTAGE_MAX_PAUSE", 0.5)
    url = own_postgres.url(f"etapa_outage_{batch}")
    await migrate(url, SHARED_MIGRATIONS)
    pool = await create_pool(url)
    topology = Topology(
        prefix=f"{services.env['ETAPA_TOPOLOGY_PREFIX']}outage{uuid.uuid4().hex[:6]}.",
        delivery_limit=3,
    )
    broker = create_broker(services.env["ETAPA_AMQP_URL"])
    subscriptions = Subscriptions(broker, topology, "probe", pool, batch=batch)
    handled: list[tuple[uuid.UUID, bool, Any, int]] = []

    async def on_action(conn: Connection, event: OrderAction) -> None:
        txid = await conn.fetchval("SELECT txid_current()")
        raw = broker.context.get_local("message").raw_message
        assert raw.message_id == str(event.message_id)
        handled.append(
            (event.message_id, raw.redelivered, raw.headers.get("x-delivery-count"), txid)
        )

    subscriptions.add(OrderAction, on_action)
    queue = subscriptions.queues[0]
    await broker.start()
    try:
        await subscriptions.declare_dead_letter_queues()
        await own_postgres.stop()
        events = [_action() for _ in range(5)]
        for event in events:
            await messaging.event_publisher(broker, topology)(
                OutboxMessage(
                    id=1,
                    message_id=event.message_id,
                    routing_key=event.routing_key(),
                    payload=event.model_dump(mode="json"),
                    correlation_id=event.correlation_id,
                )
            )
        await asyncio.sleep(6)  # about a dozen tries against the stopped database
        assert handled == []
        await own_postgres.start()
        await eventually(lambda: _ready(handled, len(events)), timeout=30)
        await asyncio.sleep(1)
        # once each, never given back
        assert sorted((h[0], h[1], h[2]) for h in handled) == sorted(
            (e.message_id, False, None) for e in events
        )
        transactions = len({h[3] for h in handled})
        # batch 20: the first message, held alone, and the four that came while it was held
        assert transactions == 5 if batch == 1 else transactions <= 2
        assert await _message_count(services, topology.dead_letter_queue_name(queue.name)) == 0
    finally:
        await broker.stop()
        await pool.close()
        await _delete_queues(services, queue.name, topology.dead_letter_queue_name(queue.name))


def _action() -> OrderAction:
    return OrderAction(
        occurred_at=datetime.now(UTC),
        correlation_id="test-outage",
        chain_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        action="advance",
        actor="ana",
        requested_at=datetime.now(UTC),
    )


async def _ready(handled: list[Any], count: int) -> list[Any] | None:
    return handled if len(handled) >= count else None


async def _message_count(services: RunningServices, name: str) -> int:
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        return queue.declaration_result.message_count or 0


async def _delete_queues(services: RunningServices, *names: str) -> None:
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)


async def test_an_http_request_during_an_outage_gets_503_with_retry_after(
    own_postgres: OwnPostgres,
) -> None:
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def database(_app: Litestar) -> AsyncIterator[None]:
        pools.append(await create_pool(own_postgres.url(), min_size=2))  # in the app's loop
        try:
            yield
        finally:
            await pools[0].close()

    @get("/api/v1/count")
    async def count() -> dict[str, int]:
        return {"count": await pools[0].fetchval("SELECT count(*) FROM pg_database")}

    settings = ServiceSettings.from_env("test", 9999, {"ETAPA_JWT_PUBLIC_KEY": TEST_PUBLIC_KEY})
    app = create_service_app(
        settings=settings, route_handlers=[count], checks={}, lifespan=[database]
    )
    headers = bearer(str(uuid.uuid4()))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/api/v1/count", headers=headers)).status_code == 200
        await own_postgres.stop()
        # Pooled connections cut by the outage, then new ones refused: 503 every time.
        for _ in range(4):
            during = await client.get("/api/v1/count", headers=headers)
            assert during.status_code == 503, during.text
            assert during.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            assert "indisponível" in during.json()["detail"]
        await own_postgres.start()
        after = await eventually(lambda: _answers(client, headers))
        assert after == 200


async def _answers(client: AsyncTestClient, headers: dict[str, str]) -> int | None:  # type: ignore[type-arg]
    response = await client.get("/api/v1/count", headers=headers)
    return response.status_code if response.status_code == 200 else None


async def test_a_process_starting_while_its_database_is_away_waits_for_it_then_starts(
    own_postgres: OwnPostgres,
    infra: Infra,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Replicas starting before PostgreSQL (or while it refuses them) never crash: they wait."""
    monkeypatch.setattr(database, "STARTUP_MAX_PAUSE", 0.5)
    await own_postgres.stop()
    settings = ServiceSettings.from_env(
        "probe",
        free_port(),
        {
            "PROBE_DATABASE_URL": own_postgres.url("etapa_probe"),
            "PROBE_DATABASE_POOL_SIZE": "3",
            "ETAPA_AMQP_URL": infra.amqp_url,
            "ETAPA_TOPOLOGY_PREFIX": f"{infra.prefix}start{uuid.uuid4().hex[:6]}.",
            "ETAPA_JWT_PUBLIC_KEY": TEST_PUBLIC_KEY,
        },
    )
    runtime = ServiceRuntime(settings, tmp_path, relay=False)
    started = asyncio.Event()

    async def run() -> None:
        async with runtime.lifespan(Litestar([])):
            started.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(run())
    try:
        await asyncio.sleep(3)  # several refused tries
        assert not task.done(), task.exception() if task.done() else None
        await own_postgres.start()
        await asyncio.wait_for(started.wait(), 30)
        assert runtime.pool is not None
        assert runtime.pool.get_max_size() == 3  # PROBE_DATABASE_POOL_SIZE
        assert await runtime.pool.fetchval("SELECT count(*) FROM outbox") == 0  # migrated
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
