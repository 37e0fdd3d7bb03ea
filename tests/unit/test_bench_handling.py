"""The bench's reading of where messages waited (``tests.bench.e2e_handling``), on text a real
``prometheus_client`` registry writes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from tests.bench import e2e_handling

CONSUMER = "t1.e2e.workflow.order.action.v1"


def _metrics() -> tuple[CollectorRegistry, Histogram, Histogram]:
    registry = CollectorRegistry()
    handling = Histogram(
        e2e_handling.HANDLING,
        "h",
        ["service", "consumer"],
        buckets=(0.01, 0.05, 0.1, 0.25),
        registry=registry,
    )
    batch = Histogram(
        e2e_handling.BATCH, "b", ["service", "consumer"], buckets=(1, 5, 20), registry=registry
    )
    return registry, handling, batch


def _read(registry: CollectorRegistry) -> dict[e2e_handling.Key, e2e_handling.Histogram]:
    return e2e_handling.parse("workflow", generate_latest(registry).decode())


def test_a_step_counts_only_what_was_handled_during_it() -> None:
    registry, handling, batch = _metrics()
    handled = handling.labels(service="workflow", consumer=CONSUMER)
    batches = batch.labels(service="workflow", consumer=CONSUMER)
    for _ in range(50):
        handled.observe(0.2)  # before the step: slow
    before = _read(registry)
    for seconds in [0.004] * 60 + [0.03] * 35 + [0.07] * 5:
        handled.observe(seconds)
    for size in (10, 10, 5):
        batches.observe(size)
    (line,) = e2e_handling.describe(before, _read(registry))
    assert line == (
        "workflow order.action.v1: 100 handled, received → committed p50 ≤ 10 ms,"
        " p95 ≤ 50 ms; 8.3 per batch"
    )


def test_a_consumer_idle_during_the_step_is_left_out() -> None:
    registry, handling, _batch = _metrics()
    handling.labels(service="workflow", consumer=CONSUMER).observe(0.02)
    reading = _read(registry)
    assert e2e_handling.describe(reading, reading) == []
    assert e2e_handling.describe({}, reading)[0].endswith("— per batch")
