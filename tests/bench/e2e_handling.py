"""Where messages wait: each consumer's handling time and batch size over a step.

Read from the services' own ``/metrics`` at a step's start and end (``prometheus_client``'s
parser): ``etapa_message_handling_seconds`` (a message received → its transaction committed,
the wait for the batch before included) and ``etapa_consumer_batch_messages`` (messages per
batch); and each process's outbox relay: events published (``etapa_outbox_published_total``)
per round of its loop (``etapa_loop_rounds_total{loop="outbox-relay"}``), and those published at
once instead (``etapa_outbox_published_directly_total``). A quantile is the
upper bound of the bucket where it falls, as Prometheus would estimate it no finer; only
consumers that handled a message during the step are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

HANDLING = "etapa_message_handling_seconds"
BATCH = "etapa_consumer_batch_messages"
PUBLISHED = "etapa_outbox_published"
DIRECTLY = "etapa_outbox_published_directly"
ROUNDS = "etapa_loop_rounds"
RELAY = "outbox-relay"


@dataclass
class Histogram:
    buckets: dict[float, float] = field(default_factory=dict)
    """Cumulative count by upper bound."""
    count: float = 0.0
    total: float = 0.0

    def minus(self, earlier: Histogram | None) -> Histogram:
        if earlier is None:
            return self
        return Histogram(
            {le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
            self.count - earlier.count,
            self.total - earlier.total,
        )

    def quantile(self, q: float) -> float:
        """The upper bound of the bucket holding the ``q`` quantile."""
        for le in sorted(self.buckets):
            if self.buckets[le] >= q * self.count:
                return le
        return float("inf")


Key = tuple[str, str, str]
"""(process, metric, consumer)."""


def parse(process: str, text: str) -> dict[Key, Histogram]:
    """The two histograms by consumer; the relay's two counters as a histogram's ``count``."""
    found: dict[Key, Histogram] = {}
    for family in text_string_to_metric_families(text):
        if family.name in (PUBLISHED, DIRECTLY, ROUNDS):
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels.get("loop", RELAY) == RELAY:
                    counter = found.setdefault((process, family.name, RELAY), Histogram())
                    counter.count += sample.value
            continue
        if family.name not in (HANDLING, BATCH):
            continue
        for sample in family.samples:
            consumer = sample.labels.get("consumer", "")
            histogram = found.setdefault((process, family.name, consumer), Histogram())
            if sample.name.endswith("_bucket"):
                histogram.buckets[float(sample.labels["le"])] = sample.value
            elif sample.name.endswith("_count"):
                histogram.count = sample.value
            elif sample.name.endswith("_sum"):
                histogram.total = sample.value
    return found


async def read(urls: Mapping[str, str]) -> dict[Key, Histogram]:
    """Every process's histograms now (a process that does not answer gives none)."""
    found: dict[Key, Histogram] = {}
    async with httpx.AsyncClient(timeout=5) as client:
        for process, url in urls.items():
            try:
                answer = await client.get(f"{url}/metrics")
            except httpx.HTTPError:
                continue
            found.update(parse(process, answer.text))
    return found


def describe(before: Mapping[Key, Histogram], after: Mapping[Key, Histogram]) -> list[str]:
    """One line per consumer that handled messages between the two readings, and one per
    process whose relay published."""
    lines = []
    for (process, metric, _), published in sorted(after.items()):
        if metric != PUBLISHED:
            continue
        directly = after.get((process, DIRECTLY, RELAY), Histogram()).minus(
            before.get((process, DIRECTLY, RELAY))
        )
        sent = published.minus(before.get((process, metric, RELAY))).count - directly.count
        rounds = after.get((process, ROUNDS, RELAY), Histogram()).minus(
            before.get((process, ROUNDS, RELAY))
        )
        if rounds.count >= 1 and (sent >= 1 or directly.count >= 1):
            lines.append(
                f"{process} outbox relay: {sent:.0f} published in {rounds.count:.0f} rounds,"
                f" {sent / rounds.count:.1f} per round"
                + (f"; {directly.count:.0f} published at once" if directly.count else "")
            )
    for (process, metric, consumer), histogram in sorted(after.items()):
        if metric != HANDLING:
            continue
        handled = histogram.minus(before.get((process, metric, consumer)))
        if handled.count < 1:
            continue
        batches = after.get((process, BATCH, consumer), Histogram()).minus(
            before.get((process, BATCH, consumer))
        )
        per_batch = f"{batches.total / batches.count:.1f}" if batches.count else "—"
        p50, p95 = (1000 * handled.quantile(q) for q in (0.5, 0.95))
        queue = consumer.rsplit(".", 3)[-3:]
        lines.append(
            f"{process} {'.'.join(queue)}: {handled.count:.0f} handled,"
            f" received → committed p50 ≤ {p50:.0f} ms, p95 ≤ {p95:.0f} ms;"
            f" {per_batch} per batch"
        )
    return lines
