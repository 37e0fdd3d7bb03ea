"""Following one order across the three services, as an operator would.

The services run as processes (``python -m <service> serve``, JSON logs to a file each) with
``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at an OTLP/HTTP receiver in this test. One order is
opened; then:

- one grep of its correlation id (the ``X-Correlation-ID`` intake answered) over the three
  log files shows its whole path: opened at intake, stage entered at workflow, SMS recorded and
  sent at the notifier, each line with the order's id and number, and no phone number;
- the spans the three processes exported by OTLP are one trace from ``POST /api/v1/orders``
  to the SMS send.
"""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.infra import Infra, bearer
from tests.integration.conftest import create_chain
from tests.integration.harness import RunningServices, eventually, save_test_flow
from tests.integration.harness import wait_until_ready as wait_ready
from tests.processes import BACKENDS, running_services
from tests.trace_tree import ancestors, render

pytestmark = pytest.mark.e2e

PHONE = "+55 21 99876-5432"


@dataclass(frozen=True)
class ExportedSpan:
    name: str
    trace_id: str
    span_id: int
    parent_id: int | None
    service: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]


class OtlpReceiver:
    """An OTLP/HTTP trace receiver (``POST /v1/traces``, protobuf) keeping what it is sent."""

    def __init__(self) -> None:
        self.spans: list[ExportedSpan] = []
        self.requests = 0
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                received.keep(self.path, body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def keep(self, path: str, body: bytes) -> None:
        assert path == "/v1/traces", path
        self.requests += 1
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ExportedSpan(
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=int.from_bytes(span.span_id, "big"),
                            parent_id=int.from_bytes(span.parent_span_id, "big")
                            if span.parent_span_id
                            else None,
                            service=resource["service.name"],
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                            attributes={
                                a.key: a.value.string_value or a.value.int_value
                                for a in span.attributes
                            },
                        )
                    )

    def __enter__(self) -> OtlpReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def followed(infra: Infra) -> Iterator[tuple[dict[str, str], OtlpReceiver]]:
    with (
        OtlpReceiver() as receiver,
        running_services(
            infra,
            "follow",
            NOTIFIER_DISPATCH_INTERVAL="0.2",
            NOTIFIER_SENDING_HOURS="always",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
            OTEL_BSP_SCHEDULE_DELAY="200",  # export every 0.2 s (5 s by default)
        ) as urls,
    ):
        yield urls, receiver


def grep(paths: list[str], needle: str) -> list[dict[str, Any]]:
    """``grep needle <paths>``: the matching JSON lines, parsed, in file order."""
    found = []
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if needle in line:
                found.append(json.loads(line))
    return found


async def test_one_grep_and_one_trace_follow_an_order_from_the_counter_to_the_sms(
    followed: tuple[dict[str, str], OtlpReceiver],
) -> None:
    urls, receiver = followed
    async with httpx.AsyncClient(timeout=10) as http:
        for service in BACKENDS:
            await wait_ready(http, urls[service], timeout=60)
        chain_id = await create_chain(
            RunningServices(env={}, urls=urls), http, f"Rede {uuid.uuid4().hex[:6]}"
        )
        await save_test_flow(urls["workflow_database"], uuid.UUID(chain_id))
        auth = bearer(chain_id)
        branch = await http.post(
            f"{urls['intake']}/api/v1/branches",
            headers=auth,
            json={
                "code": "SIGA1",
                "name": "Ótica Seguida",
                "state": "RJ",
                "city": "Rio de Janeiro",
                "timezone": "America/Sao_Paulo",
            },
        )
        assert branch.status_code == 201, branch.text
        opened = await http.post(
            f"{urls['intake']}/api/v1/orders",
            headers=auth,
            json={
                "branch_id": branch.json()["branch_id"],
                "service_type": "teste",
                "customer": {"name": "Beatriz Souza", "phone": PHONE, "sms_consent": True},
            },
        )
        assert opened.status_code == 201, opened.text
        order_id, number = opened.json()["order_id"], opened.json()["number"]
        correlation_id = opened.headers["X-Correlation-ID"]

        async def sms_sent() -> bool:
            response = await http.get(
                f"{urls['notifier']}/api/v1/messages", params={"order_id": order_id}, headers=auth
            )
            items = response.json()["items"]
            return bool(items) and items[0]["status"] == "sent"

        await eventually(sms_sent, timeout=30)

    logs = [urls[f"{service}_log"] for service in BACKENDS]

    async def whole_path() -> list[dict[str, Any]] | None:
        lines = grep(logs, correlation_id)
        events = {line["event"] for line in lines}
        wanted = {"order_opened", "order_stage_entered", "sms_recorded", "sms_sent"}
        return lines if wanted <= events else None

    lines = await eventually(whole_path, timeout=15)
    print(f"\n$ grep {correlation_id} intake.log workflow.log notifier.log")
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))
    by_event = {line["event"]: line for line in lines}
    assert by_event["order_opened"]["service"] == "intake"
    assert by_event["order_stage_entered"]["service"] == "workflow"
    assert by_event["sms_sent"]["service"] == "notifier"
    for event in ("order_opened", "order_stage_entered", "sms_recorded", "sms_sent"):
        assert by_event[event]["order_id"] == order_id, event
        assert by_event[event]["order_number"] == number, event
        assert by_event[event]["level"] == "info", event
    assert all(line["correlation_id"] == correlation_id for line in lines)
    assert not any("99876" in json.dumps(line) for line in lines)  # phones masked

    def post_orders() -> ExportedSpan | None:
        return next(
            (
                s
                for s in receiver.spans
                if s.name.startswith("POST /api/v1/orders")
                and s.attributes.get("etapa.correlation_id") == correlation_id
            ),
            None,
        )

    root = await eventually(_async(post_orders), timeout=15)

    def sent_under_the_root() -> list[ExportedSpan] | None:
        """The SMS's send span's ancestors, once they reach the order's POST. Each service
        exports its spans in batches of its own, so the notifier's can arrive before
        workflow's: wait for the whole path (a broken one never reaches the root)."""
        trace = [s for s in receiver.spans if s.trace_id == root.trace_id]
        send = next((s for s in trace if s.name == "sms send log"), None)
        if send is None:
            return None
        path = ancestors(send, trace)
        return path if path and path[-1] == root else None

    path = await eventually(_async(sent_under_the_root), timeout=15)
    trace = [s for s in receiver.spans if s.trace_id == root.trace_id]
    print(f"\ntrace {root.trace_id} exported by OTLP ({receiver.requests} requests)")
    print(render(trace))
    assert path[-1] == root
    assert {s.service for s in path} == {"intake", "workflow", "notifier"}


def _async(check: Any) -> Any:
    async def run() -> Any:
        return check()

    return run
