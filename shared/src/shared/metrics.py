"""Prometheus metrics for the messaging plumbing, registered once per process."""

from prometheus_client import Counter

MESSAGES_HANDLED = Counter(
    "etapa_messages_handled_total",
    "Messages a consumer handled, by outcome (handled, duplicate, failed).",
    ["consumer", "outcome"],
)
OUTBOX_PUBLISHED = Counter(
    "etapa_outbox_published_total", "Events the outbox relay published with a confirm."
)
OUTBOX_FAILURES = Counter(
    "etapa_outbox_publish_failures_total",
    "Outbox publishes that failed and will be retried, by reason.",
    ["reason"],
)
