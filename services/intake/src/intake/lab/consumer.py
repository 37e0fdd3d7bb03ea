"""The queue labs publish to: ``etapa.lab``, routing key ``lab.<lab_code>.status``.

Rules:
- One durable quorum queue, ``intake.lab.status``, bound with ``lab.*.status``, with the same
  delivery limit and dead-letter queue as every other consumer queue.
- Every message is stored with its outcome and acked (see ``intake.lab.receive``): a message
  that cannot be read or matched is kept as rejected, never redelivered in a loop.
- A database outage is not the message's fault: the consumer keeps the message and tries
  again until the database answers (``shared.messaging.hold_through_outages``), so an outage
  never uses up its delivery limit.
"""

from __future__ import annotations

from typing import Any, cast

import asyncpg
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import QueueType, RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.schemas.queue import QuorumQueueArgs

from intake.lab.message import LabMessage, LabTimeWindow
from intake.lab.receive import LAB_CONSUMER, receive
from shared.asyncapi import Amend, Document, set_message_payload
from shared.clock import Clock
from shared.logging import correlation_scope, get_logger
from shared.messaging import Subscriptions, hold_through_outages, topic_exchange
from shared.topology import LAB_ROUTING_PATTERN, Topology

log = get_logger(__name__)


def sender_of(routing_key: str) -> str:
    """``lab.LABX.status`` → ``LABX`` (the binding guarantees three words)."""
    return routing_key.split(".")[1]


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    """Hand the body over undecoded: reading it, and rejecting it, is ``receive``'s job."""
    body: bytes = message.body
    return body


def lab_queue(topology: Topology) -> RabbitQueue:
    name = topology.prefix + LAB_CONSUMER
    return RabbitQueue(
        name,
        queue_type=QueueType.QUORUM,
        durable=True,
        arguments=cast(QuorumQueueArgs, topology.queue_arguments(name)),
        routing_key=LAB_ROUTING_PATTERN,
    )


def document_lab_message(topology: Topology) -> Amend:
    """The lab queue's message schema in intake's AsyncAPI document: the consumer reads the
    raw body itself (to keep and reject what is broken), so FastStream cannot see its type."""

    def amend(document: Document) -> None:
        set_message_payload(document, lab_queue(topology).name, LabMessage)

    return amend


def subscribe_lab_queue(
    broker: RabbitBroker,
    subscriptions: Subscriptions,
    topology: Topology,
    pool: asyncpg.Pool,
    clock: Clock,
    window: LabTimeWindow,
) -> None:
    queue = lab_queue(topology)

    async def on_lab_message(message: RabbitMessage) -> None:
        raw = message.raw_message
        routing_key = raw.routing_key or ""

        async def store() -> None:
            async with pool.acquire() as conn:
                await receive(
                    conn,
                    body=raw.body,
                    sender_code=sender_of(routing_key),
                    via="amqp",
                    routing_key=routing_key,
                    now=clock(),
                    window=window,
                )

        with correlation_scope(raw.correlation_id or raw.message_id):
            await hold_through_outages(store, consumer=queue.name, message_id=raw.message_id)

    broker.subscriber(
        queue,
        topic_exchange(topology.lab_exchange),
        decoder=_raw_body,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=queue.name,
        description=(
            f"Status messages of the labs, published to the `{topology.lab_exchange}` topic "
            "exchange with routing key `lab.<lab_code>.status` (bound as "
            f"`{LAB_ROUTING_PATTERN}`), JSON as in LabMessage; each is stored with its outcome "
            "(accepted or rejected with the reason) and applied to its order."
        ),
    )(on_lab_message)
    subscriptions.queues.append(queue)  # so that its dead-letter queue is declared too
