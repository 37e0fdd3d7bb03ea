"""A service process: its pool, broker, subscriptions, outbox relay and background loops.

The runtime is built by a service's composition root and started by the Litestar lifespan.
The HTTP API answers even while the broker is away: the broker connects in the background
and keeps reconnecting, and the outbox holds events until it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import asyncpg
from faststream.rabbit import RabbitBroker
from litestar import Litestar

from etapa_contracts.events import UserChanged
from shared.asyncapi import Amend, Document, asyncapi_document, cached
from shared.database import create_pool, migrate, wait_for_database
from shared.logging import crash_logged, get_logger
from shared.loops import LoopHealth
from shared.message_retention import RETENTION_LOOP, Retention, retention_loop
from shared.messaging import (
    Subscriptions,
    broker_connected,
    create_broker,
    declare_consumers_of,
    document_publishers,
    draw_consumer_priority,
    event_publisher,
    retire_queues,
    until_broker_answers,
)
from shared.outbox import RELAY_DEADLINE, RELAY_LOOP, OutboxRelay, Publish
from shared.outbox_backlog import sample_backlog
from shared.outbox_direct import DirectPublisher
from shared.relay_thread import RelayThread
from shared.settings import ServiceSettings
from shared.token_validity import VALIDITY_STATE_KEY, TokenValidity, on_user_changed
from shared.tracing import shutdown_tracing, tracer_provider
from shared.web import ReadinessCheck, database_check
from shared.wiring import CONSUMES, PUBLISHES, RETIRED

log = get_logger(__name__)

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"

Register = Callable[[Subscriptions, asyncpg.Pool], None]
BackgroundLoop = Callable[[asyncpg.Pool], Coroutine[Any, Any, None]]


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        migrations_dir: Path,
        *,
        register: Register | None = None,
        loops: tuple[BackgroundLoop, ...] = (),
        relay: bool = True,
        description: str = "",
        amend_asyncapi: Amend | None = None,
        loop_health: LoopHealth | None = None,
    ) -> None:
        self.settings = settings
        self.consumer_priority = (
            settings.consumer_priority
            if settings.consumer_priority is not None
            else draw_consumer_priority()
        )
        """Every consumer's priority (``<SERVICE>_CONSUMER_PRIORITY``, else drawn now)."""
        self.loop_health = loop_health or LoopHealth()
        """Every polling loop of the process beats here; ``/ready``'s ``loops`` check reads it."""
        if relay:  # expected from now on: a relay that never starts turns /ready red too
            self.loop_health.register(RELAY_LOOP, RELAY_DEADLINE)
        self._migrations_dir = migrations_dir
        self._register = register
        self._loops = loops
        self._relay = relay
        self.pool: asyncpg.Pool | None = None
        self.broker: RabbitBroker = create_broker(
            settings.amqp_url, tracer_provider=tracer_provider(settings.service)
        )
        self.publishes = PUBLISHES.get(settings.service, ())
        document_publishers(self.broker, settings.topology, self.publishes)
        self.asyncapi: Callable[[], Document] = cached(
            lambda: asyncapi_document(
                self.broker, service=settings.service, description=description, amend=amend_asyncapi
            )
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.broker_started = asyncio.Event()

    async def migrate(self) -> None:
        await migrate_service_database(self.settings.database_direct_url, self._migrations_dir)

    async def broker_ready(self) -> None:
        if not self.broker_started.is_set():
            raise RuntimeError("broker not connected yet")
        if not await self.broker.ping(timeout=2):
            raise RuntimeError("broker does not answer")

    def database_pool(self) -> asyncpg.Pool | None:
        return self.pool

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        """``/ready``: the database and the broker answer, and no polling loop is stuck."""
        return {
            "database": database_check(self.database_pool),
            "broker": self.broker_ready,
            "loops": self.loop_health.check,
        }

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        await wait_for_database(self.migrate, step="migrate")
        self.pool = await wait_for_database(
            lambda: create_pool(
                self.settings.database_url,
                max_size=self.settings.database_pool_size,
                statement_cache_size=self.settings.database_statement_cache_size,
            ),
            step="pool",
        )
        pool = self.pool
        validity = app.state.get(VALIDITY_STATE_KEY)
        if isinstance(validity, TokenValidity):  # loaded before the first request is answered
            await wait_for_database(lambda: validity.reload(pool), step="token-validity")
            self._spawn(validity.keep_loaded(pool, health=self.loop_health), "token-validity")
        subscriptions = self.subscribe(self.pool)
        self._spawn(self._start_broker(subscriptions), "broker")
        if self._relay:
            self._spawn(self._relay_when_connected(self.pool), "outbox-relay")
            self._spawn(sample_backlog(self.pool, self.settings.service), "outbox-backlog")
        retention = Retention(
            outbox_days=self.settings.outbox_retention_days,
            inbox_days=self.settings.inbox_retention_days,
        )
        self._spawn(retention_loop(pool, retention, self.loop_health).run(), RETENTION_LOOP)
        for loop in self._loops:
            self._spawn(loop(self.pool), loop.__name__)
        log.info(
            "service_started",
            port=self.settings.http_port,
            consumer_priority=self.consumer_priority,
        )
        try:
            yield
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._stop_broker()
            await self.pool.close()
            shutdown_tracing(self.settings.service)  # export the spans still buffered
            log.info("service_stopped")

    async def _stop_broker(self) -> None:
        """Stop consuming and close the connection; a failure is logged, never raised, so the
        pool still closes and the spans still go out. A stop that comes while the broker is
        still starting can find a channel that the cancelled start closed: the consumer's
        cancel fails, faststream leaves the connection open, and it closes when the process
        exits (its unacked messages go back to their queue then)."""
        try:
            await self.broker.stop()
        except Exception as exc:
            log.warning("broker_stop_failed", error=f"{type(exc).__name__}: {exc}")

    def subscribe(self, pool: asyncpg.Pool) -> Subscriptions:
        """Register the service's consumers on its broker (before it starts)."""
        subscriptions = Subscriptions(
            self.broker,
            self.settings.topology,
            self.settings.service,
            pool,
            batch=self.settings.consumer_batch,
            linger=self.settings.consumer_linger_ms / 1000,
            prefetch_batches=self.settings.consumer_prefetch_batches,
            priority=self.consumer_priority,
        )
        if self._register is not None:
            self._register(subscriptions, pool)
        if UserChanged in CONSUMES.get(self.settings.service, ()):
            subscriptions.add(UserChanged, on_user_changed)  # every API refuses revoked tokens
        return subscriptions

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(crash_logged(coro, name), name=name)
        self._tasks.append(task)

    async def _relay_when_connected(self, pool: asyncpg.Pool) -> None:
        """The outbox relay, once the broker has declared the queues of what it publishes, and
        beside it, unless ``<SERVICE>_OUTBOX_DIRECT_GRACE_S=0``, the direct publisher
        (``shared.outbox_direct``): on a thread of their own (``shared.relay_thread``) or, with
        ``<SERVICE>_OUTBOX_RELAY_THREAD=false``, on this loop with the process's pool and
        broker."""
        await self.broker_started.wait()
        settings = self.settings
        direct = self._direct_publisher if settings.outbox_direct_grace_s > 0 else None
        if not settings.outbox_relay_thread:
            if direct is not None:
                self._spawn(direct(pool, self.broker).run(), "outbox-direct")
            await self._outbox_relay(pool, event_publisher(self.broker, settings.topology)).run()
            return
        await RelayThread(
            self._outbox_relay,
            database_url=settings.database_url,
            statement_cache_size=settings.database_statement_cache_size,
            broker=lambda: create_broker(
                settings.amqp_url, tracer_provider=tracer_provider(settings.service)
            ),
            publisher=lambda broker: event_publisher(broker, settings.topology),
            make_direct=direct,
        ).run()

    def _direct_publisher(self, pool: asyncpg.Pool, broker: RabbitBroker) -> DirectPublisher:
        return DirectPublisher(
            pool,
            event_publisher(broker, self.settings.topology),
            connected=lambda: broker_connected(broker),
            database_url=self.settings.database_url,
            grace=self.settings.outbox_direct_grace_s,
            service=self.settings.service,
        )

    def _outbox_relay(self, pool: asyncpg.Pool, publish: Publish) -> OutboxRelay:
        return OutboxRelay(
            pool,
            publish,
            database_url=self.settings.listen_url,
            service=self.settings.service,
            health=self.loop_health,
        )

    async def _start_broker(self, subscriptions: Subscriptions) -> None:
        async def connect_and_declare() -> None:
            await self.broker.start()
            await subscriptions.declare_dead_letter_queues()
            # before the relay's first publish: the queues of what this service publishes
            await declare_consumers_of(self.broker, self.settings.topology, self.publishes)

        await until_broker_answers(connect_and_declare, event="broker_unavailable_retrying")
        self.broker_started.set()
        retired = RETIRED.get(self.settings.service, ())
        try:  # never holds the service up: the old queue only fills until someone deletes it
            await retire_queues(
                self.settings.amqp_url, self.settings.topology, self.settings.service, retired
            )
        except Exception as exc:
            log.warning("retire_queues_failed", error=f"{type(exc).__name__}: {exc}")
        log.info("broker_connected", queues=[q.name for q in subscriptions.queues])


async def migrate_service_database(database_url: str, migrations_dir: Path) -> None:
    await migrate(database_url, SHARED_MIGRATIONS, migrations_dir)
