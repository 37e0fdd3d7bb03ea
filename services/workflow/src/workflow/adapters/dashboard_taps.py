"""Dashboard taps: bounded queues for the events workflow publishes to no service yet.

``order.risk_changed.v1`` goes to "dashboards and alerts" (ARCHITECTURE.md) and
``order.closed.v1`` to the notifier, which may not consume it yet. Every publish is
``mandatory``, so an event with no queue bound would stay in the outbox as an error. Workflow
declares ``dashboard.<routing key>``: a durable quorum queue that keeps the newest
``TAP_MAX_LENGTH`` events (the oldest are dropped), for a dashboard or alerting consumer to
read. A real consumer of its own is bound beside it and receives every event as usual.
"""

from __future__ import annotations

import asyncio

from faststream.rabbit import QueueType, RabbitBroker, RabbitQueue

from etapa_contracts.events import Event, OrderClosed, OrderRiskChanged
from etapa_contracts.topology import Topology
from shared.logging import get_logger
from shared.messaging import topic_exchange

log = get_logger(__name__)

TAP_MAX_LENGTH = 10_000
TAPPED: tuple[type[Event], ...] = (OrderRiskChanged, OrderClosed)


async def declare_taps(broker: RabbitBroker, topology: Topology, started: asyncio.Event) -> None:
    await started.wait()
    exchange = await broker.declare_exchange(topic_exchange(topology.events_exchange))
    for event_type in TAPPED:
        routing_key = event_type.routing_key()
        queue = await broker.declare_queue(
            RabbitQueue(
                topology.queue_name("dashboard", routing_key),
                queue_type=QueueType.QUORUM,
                durable=True,
                arguments={"x-max-length": TAP_MAX_LENGTH, "x-overflow": "drop-head"},
            )
        )
        await queue.bind(exchange, routing_key=routing_key)
    log.info("dashboard_taps_declared", routing_keys=[t.routing_key() for t in TAPPED])
