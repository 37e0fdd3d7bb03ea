"""RabbitMQ plumbing shared by the services: the broker, queue declarations, subscriptions.

Rules:
- One FastStream ``RabbitBroker`` per process, with publisher confirms, and ``mandatory``
  publishes whose return raises: an event no queue receives fails loudly.
- A subscription is a durable quorum queue bound to ``etapa.events`` with one routing key, a
  delivery limit and a dead-letter queue. The handler runs in one database transaction with the
  inbox claim, and the message is acked only after that transaction commits.
- Batches (``<SERVICE>_CONSUMER_BATCH``, 20): a consumer applies up to that many messages at
  once, those that have arrived, in one transaction, inbox claims included, then acks each
  (``shared.consumer_batches``); it holds up to ``<SERVICE>_CONSUMER_PREFETCH_BATCHES`` (5)
  times that many unacked, so the next batch fills while one is applied. While the consumer is
  busy, a batch that is not full waits ``<SERVICE>_CONSUMER_LINGER_MS`` (20; 0: never) for
  more first. With 1: prefetch 1, one message, one transaction, no wait. Neither depends on
  the order messages arrive in: workflow applies an order's events by ``order_seq`` under the
  order's lock, and every other copy a consumer keeps takes only a newer version.
- Replicas take the overflow (``<SERVICE>_CONSUMER_PRIORITY``, drawn at random per process when
  unset): every consumer of a process has its priority (``x-priority``), so the broker gives a
  queue's messages to one replica while it has room in its prefetch and the overflow to the
  next, instead of round-robin: below what one replica keeps up with, its batches stay full,
  and a prefetch of several batches keeps a busy replica's messages for it.
- A handler that fails is nacked and redelivered (towards the delivery limit, then the DLQ); in
  a batch, the batch is rolled back and its messages handled one by one, so only that one is.
- A database outage is never the message's fault: the consumer keeps its messages (unacked,
  never nacked) and retries with backoff (``shared.outage_hold``), up to ``OUTAGE_MAX_PAUSE``
  between tries, until the database answers, for as long as that takes. Nothing beyond the
  prefetch is delivered to that consumer meanwhile, and the delivery limit is never touched by
  an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import aio_pika
import asyncpg
from faststream import AckPolicy
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
)
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from opentelemetry.trace import TracerProvider

if TYPE_CHECKING:
    from faststream.rabbit.schemas.queue import QuorumQueueArgs

from etapa_contracts.events import Event
from etapa_contracts.topology import Topology
from shared import inbox
from shared.consumer_batches import ConsumerBatches
from shared.database import Connection
from shared.logging import correlation_scope, get_logger
from shared.metrics import MESSAGES_HANDLED
from shared.outage_hold import hold_through_outages
from shared.outbox import OutboxMessage, committing
from shared.tracing import continued, mark_correlation
from shared.wiring import consumers_of

log = get_logger(__name__)

E = TypeVar("E", bound=Event)
EventHandler = Callable[[Connection, E], Awaitable[None]]


def create_broker(
    amqp_url: str, *, prefetch: int = 1, tracer_provider: TracerProvider | None = None
) -> RabbitBroker:
    """A broker whose publishes are confirmed and whose unroutable publishes raise.

    ``prefetch``: unacked messages per consumer on the default channel (1: one at a time, in
    the order the queue holds them; intake's lab queue relies on it). With more in flight,
    aio-pika runs a task per message, and their handlers run concurrently: ``Subscriptions``
    with a batch above 1 takes its own channel with that prefetch and funnels those tasks into
    one transaction per batch (``shared.consumer_batches``).
    With a ``tracer_provider`` (``shared.tracing``), FastStream's telemetry middleware traces
    every publish and handling and carries the trace context in the message headers.
    """
    return RabbitBroker(
        amqp_url,
        default_channel=Channel(
            prefetch_count=prefetch, publisher_confirms=True, on_return_raises=True
        ),
        fail_fast=False,
        logger=None,
        middlewares=telemetry_middlewares(tracer_provider),
    )


BROKER_FIRST_PAUSE = 1.0
BROKER_MAX_PAUSE = 30.0


def broker_connected(broker: RabbitBroker) -> bool:
    """Whether ``broker``'s connection is up now: what FastStream's ``ping`` waits for, read
    without waiting (a publish on a connection that is down waits for it to come back)."""
    connection = broker._connection  # as FastStream's own ping reads it
    return connection is not None and connection.connected.is_set()


async def until_broker_answers(attempt: Callable[[], Awaitable[object]], *, event: str) -> None:
    """``attempt()`` (connect, declare…) until it does not raise: a broker that is away is
    waited for, each failure logged as ``event`` with the pause, which doubles from
    ``BROKER_FIRST_PAUSE`` to ``BROKER_MAX_PAUSE``."""
    pause = BROKER_FIRST_PAUSE
    while True:
        try:
            await attempt()
            return
        except Exception as exc:
            log.warning(event, error=str(exc), retry_in=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, BROKER_MAX_PAUSE)


def telemetry_middlewares(
    tracer_provider: TracerProvider | None,
) -> tuple[RabbitTelemetryMiddleware, ...]:
    """FastStream's OpenTelemetry middleware for a broker, or none while tracing is off."""
    if tracer_provider is None:
        return ()
    return (RabbitTelemetryMiddleware(tracer_provider=tracer_provider),)


def topic_exchange(name: str) -> RabbitExchange:
    return RabbitExchange(name, type=ExchangeType.TOPIC, durable=True)


def consumer_queue(topology: Topology, service: str, routing_key: str) -> RabbitQueue:
    name = topology.queue_name(service, routing_key)
    return RabbitQueue(
        name,
        queue_type=QueueType.QUORUM,
        durable=True,
        arguments=cast("QuorumQueueArgs", topology.queue_arguments(name)),
        routing_key=routing_key,
    )


async def declare_dead_letter_queue(
    broker: RabbitBroker, topology: Topology, queue: RabbitQueue
) -> None:
    """Declare ``<queue>.dlq`` and bind it to the dead-letter exchange under the queue's name."""
    dlx = await broker.declare_exchange(
        RabbitExchange(topology.dead_letter_exchange, type=ExchangeType.DIRECT, durable=True)
    )
    dlq = await broker.declare_queue(
        RabbitQueue(
            topology.dead_letter_queue_name(queue.name), queue_type=QueueType.QUORUM, durable=True
        )
    )
    await dlq.bind(dlx, routing_key=queue.name)


async def declare_consumer_queue(
    broker: RabbitBroker, topology: Topology, service: str, routing_key: str
) -> None:
    """Declare ``service``'s queue for ``routing_key``, bound to the events exchange, and its
    dead-letter queue, exactly as ``service``'s own subscriber declares them (idempotent)."""
    queue = consumer_queue(topology, service, routing_key)
    exchange = await broker.declare_exchange(topic_exchange(topology.events_exchange))
    declared = await broker.declare_queue(queue)
    await declared.bind(exchange, routing_key=routing_key)
    await declare_dead_letter_queue(broker, topology, queue)


async def declare_consumers_of(
    broker: RabbitBroker, topology: Topology, event_types: tuple[type[Event], ...]
) -> list[str]:
    """Declare every consumer queue of ``event_types`` (see ``shared.wiring``); their names."""
    names = []
    for event_type in event_types:
        for service in consumers_of(event_type):
            await declare_consumer_queue(broker, topology, service, event_type.routing_key())
            names.append(topology.queue_name(service, event_type.routing_key()))
    return names


async def retire_queues(
    amqp_url: str, topology: Topology, service: str, routing_keys: tuple[str, ...]
) -> dict[str, int]:
    """Retire ``service``'s queues of events it no longer consumes (``shared.wiring.RETIRED``):
    unbind each from the events exchange, so it stops filling, then delete it with its
    dead-letter queue if it holds nothing (counted after the unbind; quorum queues have no
    delete-if-empty). A queue that still holds messages is kept (logged, with its count) for a
    person to replay or purge; a missing one is skipped. Returns what each held.

    On a connection of its own: a passive declare of a missing queue closes its channel."""
    held: dict[str, int] = {}
    if not routing_keys:
        return held
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        for routing_key in routing_keys:
            name = topology.queue_name(service, routing_key)
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(name, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                continue  # never declared, or already retired
            await queue.unbind(topology.events_exchange, routing_key)
            queue = await channel.declare_queue(name, passive=True)  # counted after the unbind
            held[name] = count = queue.declaration_result.message_count or 0
            if count:
                log.warning("retired_queue_not_empty", queue=name, messages=count)
                continue
            await channel.queue_delete(name)
            log.info("retired_queue_deleted", queue=name)
            dead_letters = topology.dead_letter_queue_name(name)
            with contextlib.suppress(aio_pika.exceptions.ChannelClosed):  # none: nothing to do
                dead = await channel.declare_queue(dead_letters, passive=True)
                if not dead.declaration_result.message_count:
                    await channel.queue_delete(dead_letters)
    return held


def document_publishers(
    broker: RabbitBroker, topology: Topology, event_types: tuple[type[Event], ...]
) -> None:
    """Name what this service publishes on the broker, for its AsyncAPI document only: the
    outbox relay publishes (``event_publisher``), these publisher objects are never called."""
    exchange = topic_exchange(topology.events_exchange)
    for event_type in event_types:
        routing_key = event_type.routing_key()
        consumers = ", ".join(consumers_of(event_type)) or "no service yet (dashboard taps)"
        broker.publisher(
            exchange=exchange,
            routing_key=routing_key,
            schema=event_type,
            persist=True,
            mandatory=True,
            title=routing_key,
            description=f"{(event_type.__doc__ or '').strip()} Consumed by: {consumers}.",
        )


def event_publisher(
    broker: RabbitBroker, topology: Topology
) -> Callable[[OutboxMessage], Awaitable[None]]:
    """The outbox relay's publish function: confirmed, mandatory, persistent.

    Traced (the broker has FastStream's telemetry middleware), through ``broker.publish``,
    whose middleware makes the publish span and carries the trace in the headers. Untraced,
    on the broker's own aio-pika exchange (its default channel: confirms, returns raised):
    the same message, around FastStream's publish layers, which cost 35-65 µs of CPU a
    message (docs/throughput-journal.md, 6 December)."""
    exchange = topic_exchange(topology.events_exchange)
    if broker.middlewares:
        return _traced_publisher(broker, exchange)
    declared: list[aio_pika.abc.AbstractExchange] = []
    declaring = asyncio.Lock()  # the publishes that wait for the first declare go on in order

    async def publish(message: OutboxMessage) -> None:
        if not declared:
            async with declaring:
                if not declared:
                    declared.append(await broker.declare_exchange(exchange))
        await declared[0].publish(
            aio_pika.Message(
                json.dumps(message.payload).encode(),
                message_id=str(message.message_id),
                correlation_id=message.correlation_id,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=message.routing_key,
            mandatory=True,
            timeout=10,
        )

    return publish


def _traced_publisher(
    broker: RabbitBroker, exchange: RabbitExchange
) -> Callable[[OutboxMessage], Awaitable[None]]:
    async def publish(message: OutboxMessage) -> None:
        with continued(message.trace_context):  # the trace of the change that wrote the row
            await broker.publish(
                json.dumps(message.payload).encode(),
                exchange=exchange,
                routing_key=message.routing_key,
                message_id=str(message.message_id),
                correlation_id=message.correlation_id,
                content_type="application/json",
                persist=True,
                mandatory=True,
                timeout=10,
            )

    return publish


CONSUMER_PRIORITIES = range(1, 10_000)
"""Where a process draws its consumers' priority when ``<SERVICE>_CONSUMER_PRIORITY`` is unset:
two replicas rarely draw the same one (1 in 9,999 for two), and then share round-robin."""


def draw_consumer_priority() -> int:
    """A process's consumer priority when ``<SERVICE>_CONSUMER_PRIORITY`` is unset (drawn once,
    when the process starts)."""
    return random.choice(CONSUMER_PRIORITIES)  # noqa: S311 (not a secret)


class Subscriptions:
    """Registers inbox-guarded event handlers on a broker and declares their queues.

    ``batch`` (``<SERVICE>_CONSUMER_BATCH``): 1, each message in a transaction of its own, one
    at a time per queue (prefetch 1, on the broker's default channel). N > 1: each queue's
    consumer holds up to ``prefetch_batches`` × N unacked messages (its prefetch; the services
    give ``<SERVICE>_CONSUMER_PREFETCH_BATCHES``, 5), on a channel of the subscriptions' own, and
    applies what has arrived, up to N, in one transaction (``shared.consumer_batches``), one
    by one if one of them fails; while the consumer is busy, a batch that is not full first
    waits ``linger`` seconds (``<SERVICE>_CONSUMER_LINGER_MS``) for more. Correct either way:
    workflow applies an order's events by ``order_seq`` under the order's lock, and every
    other copy a consumer keeps takes only a newer version.
    """

    def __init__(
        self,
        broker: RabbitBroker,
        topology: Topology,
        service: str,
        pool: asyncpg.Pool,
        *,
        batch: int = 1,
        linger: float = 0.0,
        prefetch_batches: int = 2,
        priority: int = 0,
    ) -> None:
        self._broker = broker
        self._topology = topology
        self._service = service
        self._pool = pool
        self._batch = batch
        self.linger = linger
        """Seconds a batch that is not full waits for more while its consumer is busy
        (``<SERVICE>_CONSUMER_LINGER_MS``)."""
        self.consume_arguments: dict[str, Any] = {"x-priority": priority}
        """Every consumer's ``basic.consume`` arguments: the process's consumer priority
        (``<SERVICE>_CONSUMER_PRIORITY``), so replicas take the overflow of one another."""
        # FastStream keeps one declared exchange per broker, bound to the channel that first
        # declared it, and the outbox relay publishes through it: this channel may carry the
        # relay's publishes, so it confirms them and raises on returns like the default one.
        # Two batches' worth unacked per consumer at least: the next batch fills while one is
        # applied (with one batch's worth, the batch being applied holds back as many as it has).
        self._channel = (
            Channel(
                prefetch_count=prefetch_batches * batch,
                publisher_confirms=True,
                on_return_raises=True,
            )
            if batch > 1
            else None
        )
        self.queues: list[RabbitQueue] = []

    def add(
        self,
        event_type: type[E],
        handler: EventHandler[E],
        *,
        after_commit: Callable[[], None] | None = None,
        prepare_batch: Callable[[Connection, list[E]], Awaitable[None]] | None = None,
    ) -> None:
        """Consume ``event_type`` with ``handler``; ``after_commit`` is called once a message's
        transaction has committed (not for a duplicate): e.g. to wake whoever acts on its rows.
        With batches, once per committed batch. ``prepare_batch(conn, events)``: with batches,
        once per batch before its handlers (``shared.consumer_batches``)."""
        routing_key = event_type.routing_key()
        queue = consumer_queue(self._topology, self._service, routing_key)
        consumer = queue.name
        service = self._service
        pool = self._pool

        async def handle_once(event: Any) -> None:
            async with pool.acquire() as conn, committing(conn):
                if not await inbox.claim(conn, consumer, event.message_id, event.chain_id):
                    MESSAGES_HANDLED.labels(
                        service=service, consumer=consumer, outcome="duplicate"
                    ).inc()
                    log.info("duplicate_message_skipped", message_id=str(event.message_id))
                    return
                await handler(conn, event)
            MESSAGES_HANDLED.labels(service=service, consumer=consumer, outcome="handled").inc()
            if after_commit is not None:
                after_commit()

        async def alone(event: Any) -> None:
            await hold_through_outages(
                lambda: handle_once(event),
                service=service,
                consumer=consumer,
                message_id=event.message_id,
            )

        apply = alone
        if self._batch > 1:
            apply = ConsumerBatches(
                pool,
                service=service,
                consumer=consumer,
                size=self._batch,
                handler=handler,
                alone=alone,
                after_commit=after_commit,
                prepare=prepare_batch,
                linger=self.linger,
            ).handle

        async def handle(event: Any) -> None:
            with correlation_scope(event.correlation_id) as correlation_id:
                mark_correlation(correlation_id)
                await apply(event)

        # FastStream reads the handler's signature to validate and document the message:
        # give the generic wrapper the concrete event type as its parameter annotation.
        handle.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    "event", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=event_type
                )
            ]
        )
        handle.__name__ = f"on_{routing_key.replace('.', '_')}"
        self._broker.subscriber(
            queue,
            topic_exchange(self._topology.events_exchange),
            channel=self._channel,
            consume_args=self.consume_arguments,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=consumer,
            description=handler.__doc__,
        )(handle)
        self.queues.append(queue)

    async def declare_dead_letter_queues(self) -> None:
        for queue in self.queues:
            await declare_dead_letter_queue(self._broker, self._topology, queue)
