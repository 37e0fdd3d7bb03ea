"""Names of exchanges and queues, in one place.

Every consumer queue is a durable quorum queue named ``<service>.<routing key>``, with a
delivery limit and a dead-letter route to ``<queue>.dlq``, where a person can inspect and replay
what could not be handled. A ``prefix`` (``ETAPA_TOPOLOGY_PREFIX``) isolates a test run from a
running installation on the same broker; production leaves it empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVENTS_EXCHANGE = "etapa.events"
LAB_EXCHANGE = "etapa.lab"
DEAD_LETTER_EXCHANGE = "etapa.dlx"
LAB_ROUTING_PATTERN = "lab.*.status"
DEFAULT_DELIVERY_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Topology:
    prefix: str = ""
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT

    @property
    def events_exchange(self) -> str:
        return self.prefix + EVENTS_EXCHANGE

    @property
    def lab_exchange(self) -> str:
        return self.prefix + LAB_EXCHANGE

    @property
    def dead_letter_exchange(self) -> str:
        return self.prefix + DEAD_LETTER_EXCHANGE

    def queue_name(self, service: str, routing_key: str) -> str:
        return f"{self.prefix}{service}.{routing_key}"

    @staticmethod
    def dead_letter_queue_name(queue: str) -> str:
        return f"{queue}.dlq"

    def queue_arguments(self, queue: str) -> dict[str, Any]:
        """Quorum queue arguments: bounded redelivery, then at-least-once dead-lettering."""
        return {
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-routing-key": queue,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
