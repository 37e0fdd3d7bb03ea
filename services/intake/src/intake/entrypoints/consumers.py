"""Intake's consumers: the labs' queue, and the workflow events intake keeps a copy of.

The labs' queue (labs publish to ``etapa.lab`` with routing key ``lab.<lab_code>.status``):
- One durable quorum queue, ``intake.lab.status``, bound with ``lab.*.status``, with the same
  delivery limit and dead-letter queue as every other consumer queue.
- Every message is stored with its outcome and acked (``intake.usecases.receive_lab_update``):
  a message that cannot be read or matched is kept as rejected, never redelivered in a loop.
- A database outage is not the message's fault: the consumer keeps the message and tries
  again until the database answers (``shared.outage_hold.hold_through_outages``), so an outage
  never uses up its delivery limit.

Workflow's events, inbox-guarded (``shared.messaging.Subscriptions``, which holds the
transaction): ``service_type.published.v1`` (intake's copy of the chain's service types) and
``order.remake_opened.v1`` (a remake or warranty order to register).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast
from uuid import uuid4

import asyncpg
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import QueueType, RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.schemas.queue import QuorumQueueArgs

from etapa_contracts.events import Event, RemakeOpened, ServiceTypePublished
from etapa_contracts.topology import LAB_ROUTING_PATTERN, Topology
from intake.adapters.postgres.transactions import PostgresStores, PostgresTransactions
from intake.domain.lab_intake import LAB_CONSUMER
from intake.domain.lab_message import LabMessage, LabTimeWindow
from intake.usecases.keep_service_type import on_service_type_published
from intake.usecases.ports import Stores
from intake.usecases.receive_lab_update import receive
from intake.usecases.register_remake import on_remake_opened
from shared.asyncapi import Amend, Document, set_message_payload
from shared.clock import Clock
from shared.database import Connection
from shared.logging import correlation_scope, get_logger
from shared.messaging import Subscriptions, topic_exchange
from shared.metrics import MESSAGES_HANDLED
from shared.outage_hold import hold_through_outages

log = get_logger(__name__)

SERVICE = "intake"


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
    transactions = PostgresTransactions(pool)

    async def on_lab_message(message: RabbitMessage) -> None:
        raw = message.raw_message
        routing_key = raw.routing_key or ""

        async def store() -> None:
            await receive(
                transactions,
                body=raw.body,
                sender_code=sender_of(routing_key),
                via="amqp",
                routing_key=routing_key,
                now=clock(),
                new_id=uuid4,
                window=window,
            )

        with correlation_scope(raw.correlation_id or raw.message_id):
            await hold_through_outages(
                store, service=SERVICE, consumer=queue.name, message_id=raw.message_id
            )
        MESSAGES_HANDLED.labels(service=SERVICE, consumer=queue.name, outcome="handled").inc()

    broker.subscriber(
        queue,
        topic_exchange(topology.lab_exchange),
        decoder=_raw_body,
        consume_args=subscriptions.consume_arguments,
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


E = TypeVar("E", bound=Event)


def _in_inbox_transaction(
    use_case: Callable[[Stores, E], Awaitable[None]],
) -> Callable[[Connection, E], Awaitable[None]]:
    """An inbox handler (the inbox holds the transaction) running ``use_case`` on its stores."""

    async def handle(conn: Connection, event: E) -> None:
        await use_case(PostgresStores(conn), event)

    return handle


def subscribe_events(subscriptions: Subscriptions) -> None:
    """The events of workflow intake keeps: service types, and remakes to register."""
    subscriptions.add(ServiceTypePublished, _in_inbox_transaction(on_service_type_published))
    subscriptions.add(RemakeOpened, _in_inbox_transaction(on_remake_opened))
