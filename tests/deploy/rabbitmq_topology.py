"""The RabbitMQ objects Etapa declares, computed from ``etapa_contracts.topology`` and
``shared.wiring``: what ``deploy/rabbitmq/definitions.json`` must preload (compared by the
deploy tests)."""

from __future__ import annotations

from typing import Any

from etapa_contracts.topology import LAB_ROUTING_PATTERN, Topology
from shared.wiring import CONSUMES

LAB_QUEUE = "intake.lab.status"
"""intake's queue of lab messages (``intake.entrypoints.consumers.lab_queue``)."""
TAPS = {"dashboard.order.risk_changed.v1": "order.risk_changed.v1",
        "dashboard.order.closed.v1": "order.closed.v1"}  # fmt: skip
"""workflow's dashboard taps (``workflow.taps``): bounded queues, no dead-letter queue."""
TAP_ARGUMENTS = {"x-queue-type": "quorum", "x-max-length": 10_000, "x-overflow": "drop-head"}


def _queue(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "vhost": "/", "durable": True, "auto_delete": False,
            "arguments": arguments}  # fmt: skip


def _binding(source: str, queue: str, routing_key: str) -> dict[str, Any]:
    return {"source": source, "vhost": "/", "destination": queue, "destination_type": "queue",
            "routing_key": routing_key, "arguments": {}}  # fmt: skip


def expected_topology(delivery_limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    """Queues, exchanges and bindings as a definitions file lists them."""
    topology = Topology(delivery_limit=delivery_limit)
    queues, bindings = [], []
    consumers = [
        (topology.events_exchange, topology.queue_name(service, event.routing_key()),
         event.routing_key())
        for service in sorted(CONSUMES)
        for event in CONSUMES[service]
    ]  # fmt: skip
    consumers.append((topology.lab_exchange, LAB_QUEUE, LAB_ROUTING_PATTERN))
    for exchange, queue, routing_key in consumers:
        dlq = topology.dead_letter_queue_name(queue)
        queues.append(_queue(queue, {"x-queue-type": "quorum", **topology.queue_arguments(queue)}))
        queues.append(_queue(dlq, {"x-queue-type": "quorum"}))
        bindings.append(_binding(exchange, queue, routing_key))
        bindings.append(_binding(topology.dead_letter_exchange, dlq, queue))
    for queue, routing_key in TAPS.items():
        queues.append(_queue(queue, dict(TAP_ARGUMENTS)))
        bindings.append(_binding(topology.events_exchange, queue, routing_key))
    exchanges = [
        {"name": name, "vhost": "/", "type": kind, "durable": True, "auto_delete": False,
         "internal": False, "arguments": {}}
        for name, kind in ((topology.events_exchange, "topic"), (topology.lab_exchange, "topic"),
                           (topology.dead_letter_exchange, "direct"))
    ]  # fmt: skip
    return {"queues": queues, "exchanges": exchanges, "bindings": bindings}
