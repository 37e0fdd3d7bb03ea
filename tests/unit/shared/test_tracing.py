"""Tracing is off unless an OTLP endpoint is set; the trace context survives a relay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NoOpTracer

from shared import tracing
from shared.messaging import create_broker, telemetry_middlewares
from shared.web import tracing_plugins


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    tracing.export_spans_to(None)
    tracing.shutdown_tracing("svc")


def test_off_without_an_endpoint_nothing_is_installed() -> None:
    assert tracing.configure_tracing("svc", env={}) is None
    assert tracing.tracer_provider("svc") is None
    assert isinstance(tracing.tracer("svc"), NoOpTracer)
    assert telemetry_middlewares(None) == ()
    assert tracing_plugins("svc") == []
    assert tracing.context_headers() is None  # no span, nothing stored with an outbox row


def test_an_otlp_endpoint_turns_it_on_with_the_service_name() -> None:
    provider = tracing.configure_tracing(
        "svc", env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
    )
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "svc"
    assert tracing.tracer_provider("svc") is provider
    assert len(tracing_plugins("svc")) == 1
    broker = create_broker("amqp://guest:guest@127.0.0.1:5672/", tracer_provider=provider)
    assert any(
        type(m).__name__ == "RabbitTelemetryMiddleware" for m in broker.config.broker_middlewares
    )
    named = tracing.configure_tracing(
        "svc",
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SERVICE_NAME": "x"},
    )
    assert named is not None
    assert named.resource.attributes["service.name"] == "x"


def test_a_stored_context_continues_the_trace_later() -> None:
    exporter = InMemorySpanExporter()
    tracing.export_spans_to(exporter)
    tracing.configure_tracing("svc", env={})
    spans = tracing.tracer("svc")
    with spans.start_as_current_span("POST /api/v1/orders"):
        stored = tracing.context_headers()  # what enqueue writes with the outbox row
    assert stored is not None
    assert "traceparent" in stored
    with tracing.continued(stored), spans.start_as_current_span("relay publish"):
        pass
    with tracing.continued(None), spans.start_as_current_span("unrelated"):
        pass
    request, publish, other = exporter.get_finished_spans()
    assert [s.name for s in (request, publish, other)] == [
        "POST /api/v1/orders",
        "relay publish",
        "unrelated",
    ]
    assert request.context is not None
    assert publish.context is not None
    assert other.context is not None
    assert publish.context.trace_id == request.context.trace_id
    assert publish.parent is not None
    assert publish.parent.span_id == request.context.span_id
    assert other.context.trace_id != request.context.trace_id
