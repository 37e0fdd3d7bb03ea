"""Names of exchanges and queues, in one place.

Every consumer queue is a durable quorum queue named ``<service>.<routing key>``, with a
delivery limit and a dead-letter route to ``<queue>.dlq``, where a person can inspect and replay
what could not be handled. A ``prefix`` (``ETAPA_TOPOLOGY_PREFIX``) isolates a test run from a
running installation on the same broker; production leaves it empty. A prefix that does not
end in a separator (``.``, ``-`` or ``_``) gets a ``.``: ``walk`` names ``walk.etapa.events``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVENTS_EXCHANGE = "etapa.events"
LAB_EXCHANGE = "etapa.lab"
DEAD_LETTER_EXCHANGE = "etapa.dlx"
LAB_ROUTING_PATTERN = "lab.*.status"
DEFAULT_DELIVERY_LIMIT = 20
PREFIX_SEPARATORS = (".", "-", "_")


def with_separator(prefix: str) -> str:
    """``walk`` → ``walk.``; an empty prefix, or one ending in a separator, is kept as it is."""
    if prefix and not prefix.endswith(PREFIX_SEPARATORS):
        return prefix + "."
    return prefix


@dataclass(frozen=True, slots=True)
class Topology:
    prefix: str = ""
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", with_separator(self.prefix))

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
