"""OpenTelemetry traces for every service: one trace per order's path, over HTTP and AMQP.

Rules:
- Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set:
  then ``configure_tracing`` (called by each service's composition root) gives the service a
  tracer provider that exports spans by OTLP over HTTP (the standard ``OTEL_*`` variables apply:
  headers, timeout, ``OTEL_SERVICE_NAME``). Off, no middleware is installed and nothing is
  recorded.
- A provider per service (``service.name`` = the service), so three services in one process
  (the integration tests) still tell their spans apart. Tests hand every service one exporter
  with ``export_spans_to`` (an in-memory exporter) before building the apps.
- HTTP: Litestar's ``OpenTelemetryPlugin`` (``shared.web``); AMQP: FastStream's
  ``RabbitTelemetryMiddleware`` on the broker (``shared.messaging``), which carries the W3C
  ``traceparent`` in the message headers.
- The outbox publishes later, from a relay with no request around it: ``context_headers`` is
  stored with the outbox row (``outbox.trace_context``), and the relay publishes inside
  ``continued(...)`` of it, so the trace goes on across the relay. The notifier keeps the same
  with each SMS (``messages.trace_context``) for its dispatcher.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
CORRELATION_ATTRIBUTE = "etapa.correlation_id"

_providers: dict[str, TracerProvider] = {}
_test_exporter: SpanExporter | None = None


def export_spans_to(exporter: SpanExporter | None) -> None:
    """Tests: every service configured from now on sends its spans, at once, to ``exporter``
    (``None`` goes back to the environment's choice)."""
    global _test_exporter
    _test_exporter = exporter


def configure_tracing(service: str, env: Mapping[str, str] | None = None) -> TracerProvider | None:
    """Give ``service`` its tracer provider, or none (tracing off) when no OTLP endpoint is set."""
    env = os.environ if env is None else env
    previous = _providers.pop(service, None)
    if previous is not None:
        previous.shutdown()
    if _test_exporter is not None:
        processor: SimpleSpanProcessor | BatchSpanProcessor = SimpleSpanProcessor(_test_exporter)
    elif any(env.get(name) for name in ENDPOINT_VARIABLES):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    else:
        return None
    name = env.get("OTEL_SERVICE_NAME") if _test_exporter is None else None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name or service}))
    provider.add_span_processor(processor)
    _providers[service] = provider
    return provider


def tracer_provider(service: str) -> TracerProvider | None:
    """The service's provider, or ``None`` while tracing is off."""
    return _providers.get(service)


def tracer(service: str) -> trace.Tracer:
    """A tracer for the service's own spans (a no-op one while tracing is off)."""
    provider = _providers.get(service)
    if provider is None:
        return trace.NoOpTracer()
    return provider.get_tracer(f"etapa.{service}")


def shutdown_tracing(service: str) -> None:
    """Export what is still buffered and stop the service's provider (at process end)."""
    provider = _providers.pop(service, None)
    if provider is not None:
        provider.shutdown()


def context_headers() -> dict[str, str] | None:
    """The current trace context as W3C headers (``traceparent``…), or ``None`` outside a trace:
    what the outbox and the notifier store to continue the trace later."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier or None


@contextmanager
def continued(headers: Mapping[str, str] | None) -> Iterator[None]:
    """Run the block inside the trace whose context ``headers`` carry (nothing if none)."""
    if not headers:
        yield
        return
    token = otel_context.attach(propagate.extract(dict(headers)))
    try:
        yield
    finally:
        otel_context.detach(token)


_TOKEN_IN_PATH = re.compile(r"/(a|tracking)/[^/?#]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_URL_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.path")


def span_details(scope: Any) -> tuple[str, dict[str, str]]:
    """A server span's name and route (``GET /api/v1/orders/{id}``): the path with ids and the
    customer's link token replaced, so names group requests and carry no secret (Litestar's
    default names the raw path: its span starts before routing)."""
    path = _UUID.sub("{id}", _TOKEN_IN_PATH.sub(r"/\1/{token}", str(scope.get("path", ""))))
    method = str(scope.get("method", "")).strip()
    name = f"{method} {path}" if method else path
    return name, {"http.route": name}


def redact_request(span: trace.Span, scope: Any) -> None:
    """A server span's URL attributes without the query (``?token=`` of provider callbacks) and
    without the customer's link token (``/a/<token>``, ``/api/v1/tracking/<token>``): spans
    leave the process, and hold no secret."""
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str):
            base = value.split("?", 1)[0]
            span.set_attribute(key, _TOKEN_IN_PATH.sub(r"/\1/{token}", base))
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


def mark_correlation(correlation_id: str) -> None:
    """Put the correlation id on the current span, so a trace and a log grep meet."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(CORRELATION_ATTRIBUTE, correlation_id)
