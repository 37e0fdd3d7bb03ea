"""The console's board with 2,000 open orders, and how fast a change reaches an open board.

Run: ``make bench-console``, or ``uv run python -m tests.bench.bench_console`` with
``--orders N --rounds R --events E``. Needs the PostgreSQL and RabbitMQ of
``ETAPA_TEST_POSTGRES_URL`` and ``ETAPA_TEST_AMQP_URL`` (the local servers by default).

The four services run as processes on databases of their own, with the demo chain. One order is
opened through intake; workflow's table then gets N copies of it spread over the flow's stages
and risk levels (a bulk SQL insert: opening 2,000 orders one by one would measure intake).

1. **Board**: the server time of ``GET /`` for a branch manager (the whole page: workflow's
   board of the service type, each stage's 60 most urgent orders with the counters, drawn),
   against the raw baseline of the same run: workflow's ``GET /api/v1/orders/board`` read
   straight; and, for reference, every page of the open orders read from workflow's list (what
   the console read for a board until 7 December).
2. **Live**: a person's SSE stream is open; ``advance`` is posted to intake E times; the time
   from posting the action to intake to the stream's line for that order. Baseline in the same
   run: a message published to the broker and received by a consumer (aio-pika, one hop).

Nothing fails on a slow figure; these are numbers to watch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import threading
import time
import uuid
from typing import Any

import aio_pika
import asyncpg
import httpx

from tests.browser.people import ADMIN, ATTENDANT_SP, MANAGER_SP, StaffApi
from tests.conftest import _cleanup
from tests.infra import Infra
from tests.processes import running_services, wait_ready

POSTGRES = os.environ.get(
    "ETAPA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP = os.environ.get("ETAPA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
SERVICES = ("intake", "workflow", "notifier", "console")


async def copy_orders(database_url: str, template_id: str, count: int) -> None:
    """``count`` copies of one order, over the flow's first five stages and every risk level."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """
            INSERT INTO orders
            SELECT (jsonb_populate_record(o, jsonb_build_object(
                'order_id', gen_random_uuid(),
                'number', 'SP01-B' || lpad(g::text, 5, '0'),
                'customer_name', 'Cliente ' || g,
                'stage_position', g % 5,
                'risk_level', (ARRAY['on_track', 'on_track', 'at_risk', 'overdue'])[1 + g % 4],
                'stage_due_at', o.stage_due_at + (g % 97) * interval '1 hour',
                'tracking_token', new_tracking_token()
            ))).*
            FROM orders o, generate_series(1, $2) g WHERE o.order_id = $1
            """,
            uuid.UUID(template_id),
            count,
        )
    finally:
        await conn.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def board_times(
    urls: dict[str, str], api: StaffApi, branch: str, rounds: int, expected_open: int
) -> list[float]:
    cookies = {"etapa_sessao": api.token(MANAGER_SP)}
    times = []
    with httpx.Client(base_url=urls["console"], cookies=cookies, timeout=30) as client:
        client.get(f"/?tipo=venda-oculos-grau&filial={branch}").raise_for_status()  # warm
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(f"/?tipo=venda-oculos-grau&filial={branch}")
            times.append(time.perf_counter() - started)
            response.raise_for_status()
            assert f"{expected_open}</strong> abertas" in response.text, "orders went missing"
    return times


def raw_api_times(
    urls: dict[str, str], api: StaffApi, branch: str, rounds: int, board: bool
) -> list[float]:
    """Workflow's API read straight: its board (``board``), or every page of the open orders
    (what the console read for a board until 7 December)."""
    headers = {"Authorization": f"Bearer {api.token(MANAGER_SP)}"}
    params: dict[str, Any] = {"service_type": "venda-oculos-grau", "branch": branch}
    times = []
    with httpx.Client(base_url=urls["workflow"], headers=headers, timeout=30) as client:
        for _ in range(rounds):
            started = time.perf_counter()
            if board:
                client.get("/api/v1/orders/board", params=params).raise_for_status()
            else:
                offset: int | None = 0
                while offset is not None:
                    page = client.get(
                        "/api/v1/orders",
                        params={**params, "status": "open", "limit": 200, "offset": offset},
                    ).json()
                    offset = page["next_offset"]
            times.append(time.perf_counter() - started)
    return times


def live_latencies(urls: dict[str, str], api: StaffApi, events: int) -> list[float]:
    orders = [api.open_order(customer=f"Ao Vivo {i}") for i in range(events)]
    seen: dict[str, float] = {}
    ready = threading.Event()
    done = threading.Event()

    def listen() -> None:
        cookies = {"etapa_sessao": api.token(MANAGER_SP)}
        url = f"{urls['console']}/ao-vivo"
        try:
            with httpx.stream("GET", url, cookies=cookies, timeout=60) as stream:
                for line in stream.iter_lines():
                    ready.set()
                    if line.startswith("data: order.stage_changed "):
                        seen.setdefault(line.rsplit(" ", 1)[1], time.perf_counter())
                    if done.is_set():
                        return
        except httpx.TransportError:
            return  # the services stopped

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert ready.wait(10), "the live stream did not open"
    sent: dict[str, float] = {}
    for order in orders:
        sent[order["order_id"]] = time.perf_counter()
        api.act(order["order_id"], "advance", email=ATTENDANT_SP)
        time.sleep(0.2)
    deadline = time.monotonic() + 20
    while len([o for o in sent if o in seen]) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    done.set()
    return [seen[o] - sent[o] for o in sent if o in seen]


async def broker_hop_latencies(count: int) -> list[float]:
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        latencies: list[float] = []
        async with queue.iterator() as incoming:
            for _ in range(count):
                started = time.perf_counter()
                await channel.default_exchange.publish(
                    aio_pika.Message(b"{}"), routing_key=queue.name
                )
                message = await anext(incoming)
                await message.ack()
                latencies.append(time.perf_counter() - started)
        return latencies


def main(count: int, rounds: int, events: int) -> None:
    infra = Infra(POSTGRES, AMQP)
    try:
        with running_services(
            infra, "bench", SERVICES, demo=True, NOTIFIER_SENDING_HOURS="always"
        ) as urls:
            wait_ready(urls, SERVICES, timeout=90)
            api = StaffApi(urls)
            branch = api.branch_id("SP01")
            template = api.open_order(email=ADMIN)
            asyncio.run(copy_orders(urls["workflow_database"], template["order_id"], count))
            board = board_times(urls, api, branch, rounds, count + 1)
            raw = raw_api_times(urls, api, branch, rounds, board=True)
            pages = raw_api_times(urls, api, branch, rounds, board=False)
            live = live_latencies(urls, api, events)
            hop = asyncio.run(broker_hop_latencies(events))
    finally:
        asyncio.run(_cleanup(infra))
    ms = 1000
    print(f"board, {count + 1} open orders, {rounds} requests")
    print(
        f"  console GET /          median {statistics.median(board) * ms:7.1f} ms"
        f"  p95 {percentile(board, 0.95) * ms:7.1f} ms"
    )
    print(
        f"  raw workflow board     median {statistics.median(raw) * ms:7.1f} ms"
        f"  p95 {percentile(raw, 0.95) * ms:7.1f} ms"
        f"  (console = {statistics.median(board) / statistics.median(raw):.2f} x raw)"
    )
    print(
        f"  every page of the list median {statistics.median(pages) * ms:7.1f} ms"
        f"  p95 {percentile(pages, 0.95) * ms:7.1f} ms"
        "  (what the board read until 7 December)"
    )
    print(f"live: {len(live)} of {events} advances reached the open stream")
    print(
        f"  action POST → SSE line median {statistics.median(live) * ms:7.1f} ms"
        f"  p95 {percentile(live, 0.95) * ms:7.1f} ms"
    )
    print(
        f"  raw broker hop         median {statistics.median(hop) * ms:7.1f} ms"
        f"  p95 {percentile(hop, 0.95) * ms:7.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--events", type=int, default=30)
    args = parser.parse_args()
    main(args.orders, args.rounds, args.events)
