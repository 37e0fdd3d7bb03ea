"""SMS sent per second with 1, 2 and 4 notifier processes, against a raw consume-and-POST loop.

Run: ``make bench-notifier``, or ``uv run python -m tests.bench.bench_notifier`` with
``--messages N --latency S --processes 1,2,4``. Needs the PostgreSQL and RabbitMQ of
``ETAPA_TEST_POSTGRES_URL`` and ``ETAPA_TEST_AMQP_URL`` (the local servers by default).

Each configuration gets its own databases and queue names. ``python -m notifier serve``
processes send through the ``http`` provider to the fake provider (``tests.fakes``), which
answers after ``--latency`` seconds. Every contact is recorded first; the clock runs from the
first ``order.stage_changed`` published until the fake holds N distinct deliveries. The raw
baseline, in the same run, consumes N messages from a quorum queue with aio-pika (prefetch 20)
and POSTs each to the same fake: what a notifier would do with no database, no claim, no
template and no outbox. Nothing fails on a slow figure; it is a number to watch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from etapa_contracts.events import (
    OrderOpened,
    OrderStageChanged,
)
from etapa_contracts.topology import Topology
from shared.database import create_pool
from tests.conftest import _cleanup
from tests.fakes.sms_provider import FakeSmsProvider
from tests.fakes.stage_entries import first_stage_entry, publish_all
from tests.fakes.workflow_kit import snapshot
from tests.infra import Infra
from tests.integration.harness import free_port, wait_until_ready

POSTGRES = os.environ.get(
    "ETAPA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP = os.environ.get("ETAPA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
LOGS = Path(os.environ.get("ETAPA_E2E_LOG_DIR", "/tmp"))


def events(count: int) -> tuple[list[OrderOpened], list[OrderStageChanged]]:
    chain_id = uuid.uuid4()
    branch = snapshot(code="B01", name="Loja Bench", city="São Paulo")
    pairs = [
        first_stage_entry(
            chain_id,
            branch,
            n,
            customer="Ana",
            template="Olá {nome}! Recebemos sua OS {numero_os} na {filial}.",
        )
        for n in range(count)
    ]
    return [opened for opened, _ in pairs], [changed for _, changed in pairs]


async def wait_for(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark stalled")
        await asyncio.sleep(0.02)


async def notifier_rate(infra: Infra, fake: FakeSmsProvider, processes: int, count: int) -> float:
    env = {
        **os.environ,
        **infra.service_env(
            f"bench{processes}",
            NOTIFIER_SMS_PROVIDER="http",
            NOTIFIER_HTTP_URL=f"{fake.url}/sms",
            NOTIFIER_SENDING_HOURS="always",
            NOTIFIER_DISPATCH_INTERVAL="0.05",
            ETAPA_LOG_LEVEL="WARNING",
        ),
    }
    started: list[subprocess.Popen[bytes]] = []
    urls = []
    for index in range(processes):
        port = free_port()
        log = (LOGS / f"etapa-bench-{infra.run_id}-{processes}-{index}.log").open("wb")
        started.append(
            subprocess.Popen(  # noqa: ASYNC220 - started once per configuration, outside the clock
                [sys.executable, "-m", "notifier", "serve"],
                env={**env, "NOTIFIER_PORT": str(port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient() as client:
            for url in urls:
                await wait_until_ready(client, url, timeout=60)
        opened, changed = events(count)
        pool = await create_pool(env["NOTIFIER_DATABASE_URL"], max_size=2)
        connection = await aio_pika.connect(infra.amqp_url)
        try:
            channel = await connection.channel()
            exchange = await channel.get_exchange(
                Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"]).events_exchange
            )
            await publish_all(exchange, opened)

            async def contacts_known() -> bool:
                return bool(await pool.fetchval("SELECT count(*) FROM contacts") == count)

            await wait_for(contacts_known, 120)
            before = len(fake.deliveries)
            began = time.perf_counter()
            await publish_all(exchange, changed)

            async def all_recorded() -> bool:
                return bool(await pool.fetchval("SELECT count(*) FROM messages") == count)

            async def all_delivered() -> bool:
                return len(fake.deliveries) - before >= count

            await wait_for(all_recorded, 300)
            recorded = time.perf_counter() - began
            await wait_for(all_delivered, 300)
            elapsed = time.perf_counter() - began
            print(f"  x{processes}: recorded in {recorded:.1f} s, delivered in {elapsed:.1f} s")
            return count / elapsed
        finally:
            await connection.close()
            await pool.close()
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=20)


async def raw_rate(infra: Infra, fake: FakeSmsProvider, count: int) -> float:
    """aio-pika consume (prefetch 20) and one POST per message to the fake; no database."""
    name = f"{infra.prefix}bench.raw"
    connection = await aio_pika.connect(infra.amqp_url)
    done = asyncio.Event()
    received = 0
    async with connection, httpx.AsyncClient() as client:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=20)
        queue = await channel.declare_queue(
            name, durable=True, arguments={"x-queue-type": "quorum"}
        )

        async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            body = json.loads(message.body)
            key = f"{body['order_id']}:{body['entry_sequence']}"
            response = await client.post(
                f"{fake.url}/sms",
                headers={"Idempotency-Key": key},
                json={"to": "+5511900000000", "body": body["sms_template"], "idempotency_key": key},
            )
            response.raise_for_status()
            await message.ack()
            received += 1
            if received == count:
                done.set()

        await queue.consume(handle)
        _, changed = events(count)
        began = time.perf_counter()
        for event in changed:
            await channel.default_exchange.publish(
                aio_pika.Message(json.dumps(event.model_dump(mode="json")).encode()),
                routing_key=name,
            )
        await done.wait()
        elapsed = time.perf_counter() - began
        await queue.delete(if_unused=False, if_empty=False)
    return count / elapsed


async def main(count: int, latency: float, process_counts: list[int]) -> None:
    infra = Infra(POSTGRES, AMQP)
    fake = FakeSmsProvider(latency=latency)
    await fake.start()
    try:
        raw = await raw_rate(infra, fake, count)
        rates = {p: await notifier_rate(infra, fake, p, count) for p in process_counts}
    finally:
        await fake.stop()
        await _cleanup(infra)
    print(f"fake provider latency {latency * 1000:.0f} ms, {count} messages per configuration")
    print(f"raw aio-pika consume + POST (1 process): {raw:8.1f} SMS/s")
    first = rates[process_counts[0]]
    for processes, rate in rates.items():
        print(
            f"notifier x{processes}: {rate:8.1f} SMS/s  "
            f"= {rate / raw:.2f} x raw, {rate / first:.2f} x {process_counts[0]} process(es)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02, help="fake provider's seconds")
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.latency, [int(p) for p in args.processes.split(",")]))
