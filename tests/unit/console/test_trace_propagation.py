"""The console's API calls carry the page's trace (``traceparent``) and correlation id, so a
page's request to intake, workflow or the notifier is one trace with it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from litestar.testing import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from console.adapters.api_client import ApiClient, Service
from console.bootstrap import create_app
from console.config import ConsoleSettings
from shared import tracing
from shared.logging import CORRELATION_HEADER, correlation_scope
from tests.infra import TEST_PUBLIC_KEY


@pytest.fixture(autouse=True)
def _traced() -> Iterator[None]:
    tracing.export_spans_to(InMemorySpanExporter())
    tracing.configure_tracing("console", env={})
    yield
    tracing.export_spans_to(None)
    tracing.shutdown_tracing("console")


async def test_api_calls_carry_the_pages_trace_and_correlation_id() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        api = ApiClient(http, {Service.WORKFLOW: "http://workflow"})
        await api.request(Service.WORKFLOW, "GET", "/api/v1/orders", token="t")  # no page span
        with (
            correlation_scope("pagina-1"),
            tracing.tracer("console").start_as_current_span("GET /") as page,
        ):
            await api.request(Service.WORKFLOW, "GET", "/api/v1/orders", token="t")
    untraced, traced = seen
    assert "traceparent" not in untraced.headers
    trace_id = f"{page.get_span_context().trace_id:032x}"
    assert traced.headers["traceparent"].split("-")[1] == trace_id
    assert traced.headers[CORRELATION_HEADER] == "pagina-1"


def test_a_pages_span_names_its_route_and_keeps_no_token() -> None:
    exporter = InMemorySpanExporter()
    tracing.export_spans_to(exporter)
    settings = ConsoleSettings.from_env(
        {
            "ETAPA_JWT_PUBLIC_KEY": TEST_PUBLIC_KEY,
            "ETAPA_ENV": "test",
            "ETAPA_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",  # no broker: the board waits
        }
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/entrar", headers={CORRELATION_HEADER: "pagina-2"}).status_code == 200
        client.get("/a/Xk3p9QzAb1cSegredo?token=outro-segredo")
        client.get("/health")  # probes: no span
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"GET /entrar", "GET /a/{token}"}
    assert spans["GET /entrar"].attributes is not None
    assert spans["GET /entrar"].attributes[tracing.CORRELATION_ATTRIBUTE] == "pagina-2"
    text = repr([dict(span.attributes or {}) for span in spans.values()])
    assert "Segredo" not in text
    assert "outro-segredo" not in text
