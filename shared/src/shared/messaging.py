"""RabbitMQ plumbing shared by the services: the broker, queue declarations, subscriptions.

Rules:
- One FastStream ``RabbitBroker`` per process, with publisher confirms, and ``mandatory``
  publishes whose return raises: an event no queue receives fails loudly.
- A subscription is a durable quorum queue bound to ``etapa.events`` with one routing key, a
  delivery limit and a dead-letter queue. The handler runs in one database transaction with the
  inbox claim, and the message is acked only after that transaction commits.
- A handler that fails is nacked and redelivered; when the database is unreachable the
  consumer waits before nacking, so a database restart does not burn the delivery limit.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

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

if TYPE_CHECKING:
    from faststream.rabbit.schemas.queue import QuorumQueueArgs

from shared import inbox
from shared.database import Connection
from shared.events import Event
from shared.logging import correlation_scope, get_logger
from shared.metrics import MESSAGES_HANDLED
from shared.outbox import OutboxMessage
from shared.topology import Topology

log = get_logger(__name__)

E = TypeVar("E", bound=Event)
EventHandler = Callable[[Connection, E], Awaitable[None]]

DATABASE_OUTAGE_PAUSE = 5.0
DATABASE_OUTAGE = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)
"""Errors that mean the database is away (restarting, unreachable), not that the message is bad."""


def create_broker(amqp_url: str, *, prefetch: int = 1) -> RabbitBroker:
    """A broker whose publishes are confirmed and whose unroutable publishes raise.

    ``prefetch`` 1: each consumer handles one message at a time, in the order the queue holds
    them. With more in flight, aio-pika runs their handlers concurrently and one order's
    "deliver" could overtake its "advance".
    """
    return RabbitBroker(
        amqp_url,
        default_channel=Channel(
            prefetch_count=prefetch, publisher_confirms=True, on_return_raises=True
        ),
        fail_fast=False,
        logger=None,
    )


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


def event_publisher(
    broker: RabbitBroker, topology: Topology
) -> Callable[[OutboxMessage], Awaitable[None]]:
    """The outbox relay's publish function: confirmed, mandatory, persistent."""
    exchange = topic_exchange(topology.events_exchange)

    async def publish(message: OutboxMessage) -> None:
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


class Subscriptions:
    """Registers inbox-guarded event handlers on a broker and declares their queues."""

    def __init__(
        self, broker: RabbitBroker, topology: Topology, service: str, pool: asyncpg.Pool
    ) -> None:
        self._broker = broker
        self._topology = topology
        self._service = service
        self._pool = pool
        self.queues: list[RabbitQueue] = []

    def add(self, event_type: type[E], handler: EventHandler[E]) -> None:
        routing_key = event_type.routing_key()
        queue = consumer_queue(self._topology, self._service, routing_key)
        consumer = queue.name
        pool = self._pool

        async def handle(event: Any) -> None:
            with correlation_scope(event.correlation_id):
                try:
                    async with pool.acquire() as conn, conn.transaction():
                        if not await inbox.claim(conn, consumer, event.message_id, event.chain_id):
                            MESSAGES_HANDLED.labels(consumer=consumer, outcome="duplicate").inc()
                            log.info("duplicate_message_skipped", message_id=str(event.message_id))
                            return
                        await handler(conn, event)
                except DATABASE_OUTAGE as exc:
                    MESSAGES_HANDLED.labels(consumer=consumer, outcome="failed").inc()
                    log.warning("database_unavailable_message_requeued", error=str(exc))
                    await asyncio.sleep(DATABASE_OUTAGE_PAUSE)
                    raise
                except Exception:
                    MESSAGES_HANDLED.labels(consumer=consumer, outcome="failed").inc()
                    log.exception("message_handler_failed", message_id=str(event.message_id))
                    raise
            MESSAGES_HANDLED.labels(consumer=consumer, outcome="handled").inc()

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
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=consumer,
            description=handler.__doc__,
        )(handle)
        self.queues.append(queue)

    async def declare_dead_letter_queues(self) -> None:
        for queue in self.queues:
            await declare_dead_letter_queue(self._broker, self._topology, queue)
