"""The customer's page ``/a/<token>``: its size, and its server time against the raw read.

Run: ``make bench-customer-page``, or ``uv run python -m tests.bench.bench_customer_page`` with
``--rounds R``. Needs the PostgreSQL and RabbitMQ of ``ETAPA_TEST_POSTGRES_URL`` and
``ETAPA_TEST_AMQP_URL`` (the local servers by default).

The four services run as processes on databases of their own, with the demo chain; one order is
opened through intake. Measured, one request at a time:

1. **Size**: the page's HTML and its one stylesheet, bytes as sent (the budget is 30 KB).
2. **Server time**: ``GET /a/<token>`` on the console (the console asks workflow's tracking
   read, builds and renders the page), against the raw baseline of the same run: workflow's
   ``GET /api/v1/tracking/<token>`` straight.

Nothing fails on a slow figure; these are numbers to watch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import httpx

from tests.bench.bench_console import percentile
from tests.browser.people import ADMIN, StaffApi
from tests.conftest import _cleanup
from tests.infra import Infra
from tests.processes import running_services, wait_ready

POSTGRES = os.environ.get(
    "ETAPA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP = os.environ.get("ETAPA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
SERVICES = ("intake", "workflow", "notifier", "console")


def timed(client: httpx.Client, url: str, rounds: int) -> list[float]:
    client.get(url).raise_for_status()  # warm up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get(url).raise_for_status()
        times.append(time.perf_counter() - started)
    return times


def main(rounds: int) -> None:
    infra = Infra(POSTGRES, AMQP)
    try:
        with running_services(
            infra, "benchpage", SERVICES, demo=True, NOTIFIER_SENDING_HOURS="always"
        ) as urls:
            wait_ready(urls, SERVICES, timeout=90)
            api = StaffApi(urls)
            order = api.open_order(email=ADMIN)
            token = api.wait_for_order(order["order_id"])["tracking_token"]
            with httpx.Client(timeout=10) as client:
                page = client.get(f"{urls['console']}/a/{token}")
                css = client.get(f"{urls['console']}/static/tracking.css")
                console = timed(client, f"{urls['console']}/a/{token}", rounds)
                raw = timed(client, f"{urls['workflow']}/api/v1/tracking/{token}", rounds)
    finally:
        asyncio.run(_cleanup(infra))
    ms = 1000
    html, sheet = len(page.content), len(css.content)
    print(f"customer page: HTML {html:,} B + CSS {sheet:,} B = {html + sheet:,} B (budget 30,000)")
    print(
        f"  console GET /a/<token>    median {statistics.median(console) * ms:6.1f} ms"
        f"  p95 {percentile(console, 0.95) * ms:6.1f} ms"
    )
    print(
        f"  raw workflow tracking read median {statistics.median(raw) * ms:6.1f} ms"
        f"  p95 {percentile(raw, 0.95) * ms:6.1f} ms"
        f"  (page = {statistics.median(console) / statistics.median(raw):.2f} x raw)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    main(args.rounds)
