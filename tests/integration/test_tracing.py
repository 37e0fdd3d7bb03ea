"""One order, one trace: from ``POST /orders`` on intake to the SMS the notifier sends.

The three services run in this process (real HTTP, broker and databases, as every integration
test) with tracing on and every span sent to one in-memory exporter; each service has its own
tracer provider, so each span names its service. The trace crosses two outbox relays (the
context is stored with the outbox row) and the notifier's dispatcher (stored with the SMS).
Run with ``-s`` to see the trace (the README shows it).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import tracing
from tests.infra import Infra, bearer
from tests.integration.conftest import create_chain, order_body
from tests.integration.harness import RunningServices, eventually, save_test_flow
from tests.trace_tree import ancestors, render

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: int
    span_id: int
    parent_id: int | None
    service: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]

    @classmethod
    def of(cls, span: ReadableSpan) -> Span:
        assert span.context is not None
        return cls(
            name=span.name,
            trace_id=span.context.trace_id,
            span_id=span.context.span_id,
            parent_id=span.parent.span_id if span.parent else None,
            service=str(span.resource.attributes["service.name"]),
            start_ns=span.start_time or 0,
            end_ns=span.end_time or 0,
            attributes=dict(span.attributes or {}),
        )


@pytest.fixture(scope="module")
async def traced(infra: Infra) -> AsyncIterator[tuple[RunningServices, InMemorySpanExporter]]:
    """The three services with tracing on, their spans in one in-memory exporter."""
    exporter = InMemorySpanExporter()
    tracing.export_spans_to(exporter)
    running = RunningServices(
        env=infra.service_env(
            "trace", NOTIFIER_DISPATCH_INTERVAL="0.1", NOTIFIER_SENDING_HOURS="always"
        )
    )
    try:
        await running.start()
        yield running, exporter
    finally:
        await running.stop()
        tracing.export_spans_to(None)
        for service in ("intake", "workflow", "notifier"):
            tracing.shutdown_tracing(service)


async def test_one_trace_from_post_orders_to_the_sms_send(
    traced: tuple[RunningServices, InMemorySpanExporter],
) -> None:
    services, exporter = traced
    async with httpx.AsyncClient(timeout=10) as http:
        chain_id = await create_chain(services, http, f"Rede {uuid.uuid4().hex[:6]}")
        await save_test_flow(services.env["WORKFLOW_DATABASE_URL"], uuid.UUID(chain_id))
        headers = bearer(chain_id)
        branch = await http.post(
            f"{services.urls['intake']}/api/v1/branches",
            headers=headers,
            json={
                "code": f"T{uuid.uuid4().hex[:4].upper()}",
                "name": "Loja Traçada",
                "state": "SP",
                "city": "São Paulo",
                "timezone": "America/Sao_Paulo",
            },
        )
        assert branch.status_code == 201, branch.text
        opened = await http.post(
            f"{services.urls['intake']}/api/v1/orders",
            headers=headers,
            json=order_body(branch.json()["branch_id"]),
        )
    assert opened.status_code == 201, opened.text
    correlation_id = opened.headers["X-Correlation-ID"]
    number = opened.json()["number"]

    def spans() -> list[Span]:
        return [Span.of(s) for s in exporter.get_finished_spans()]

    def post_orders() -> Span | None:
        return next(
            (
                s
                for s in spans()
                if s.name.startswith("POST /api/v1/orders")
                and s.attributes.get(tracing.CORRELATION_ATTRIBUTE) == correlation_id
            ),
            None,
        )

    root = await eventually(_async(post_orders))

    def the_trace() -> list[Span]:
        return [s for s in spans() if s.trace_id == root.trace_id]

    def sent() -> Span | None:
        return next((s for s in the_trace() if s.name == "sms send log"), None)

    send = await eventually(_async(sent), timeout=30)

    async def status_handled() -> bool:  # the notifier's status back on workflow's timeline
        return any(
            s.service == "workflow" and "notification.status" in s.name and "process" in s.name
            for s in the_trace()
        )

    await eventually(status_handled, timeout=30)
    trace = the_trace()
    print(f"\ntrace {root.trace_id:032x} of order {number} (correlation id {correlation_id})")
    print(render(trace))

    assert root.parent_id is None
    assert root.service == "intake"
    assert {s.service for s in trace} == {"intake", "workflow", "notifier"}
    # the send descends from POST /orders through both relays and the dispatcher
    path = ancestors(send, trace)
    assert path[-1] == root
    names = [s.name for s in path]
    assert "sms deliver" in names
    assert any("order.stage_changed" in n and "process" in n for n in names), names
    assert any("order.opened" in n and "process" in n for n in names), names
    assert {s.service for s in path} == {"intake", "workflow", "notifier"}
    deliver = next(s for s in path if s.name == "sms deliver")
    assert deliver.attributes[tracing.CORRELATION_ATTRIBUTE] == correlation_id
    assert deliver.attributes["etapa.order_number"] == number
    # the consumers bound the order's correlation id too: the same id from counter to SMS
    handled = [s for s in trace if s.attributes.get(tracing.CORRELATION_ATTRIBUTE)]
    assert {s.attributes[tracing.CORRELATION_ATTRIBUTE] for s in handled} == {correlation_id}


def _async(check: Any) -> Any:
    async def run() -> Any:
        return check()

    return run
