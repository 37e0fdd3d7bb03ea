"""A notifier process killed (SIGKILL) in the middle of a batch: every message still goes out,
and the provider sees each idempotency key as one delivery.

A kill between the provider's accept and the database commit leaves the message ``sending``;
when its lease expires another process sends it again with the same key, and the provider
(here the fake, like real ones that take a key) drops the repeat. So the test counts distinct
deliveries, and reports how many requests were such repeats.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import aio_pika
import httpx
import pytest

from etapa_contracts.events import (
    BranchSnapshot,
    Event,
)
from etapa_contracts.topology import Topology
from shared.database import create_pool
from tests.fakes.sms_provider import FakeSmsProvider
from tests.fakes.stage_entries import first_stage_entry, publish_all
from tests.fakes.workflow_kit import snapshot
from tests.infra import Infra
from tests.integration.harness import eventually, free_port, wait_until_ready

pytestmark = pytest.mark.e2e

LOGS = Path(os.environ.get("ETAPA_E2E_LOG_DIR", "/tmp"))
MESSAGES = 150


def events_for(chain_id: uuid.UUID, branch: BranchSnapshot, n: int) -> list[Event]:
    return list(
        first_stage_entry(
            chain_id, branch, n, customer="Rui", template="{nome}, sua OS {numero_os} chegou."
        )
    )


async def publish_first_entries(
    infra: Infra, env: dict[str, str], chain_id: uuid.UUID, branch: BranchSnapshot, n: int
) -> None:
    """What intake and workflow publish for ``n`` orders entering a stage that sends an SMS."""
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(
            Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"]).events_exchange
        )
        events = [e for number in range(n) for e in events_for(chain_id, branch, number)]
        await publish_all(exchange, events)


def notifier_env(
    infra: Infra, suffix: str, fake: FakeSmsProvider, *, send_timeout: str
) -> dict[str, str]:
    """A notifier sending at once, ten at a time, one request per round, to ``fake``."""
    return {
        **os.environ,
        **infra.service_env(
            suffix,
            NOTIFIER_SMS_PROVIDER="http",
            NOTIFIER_HTTP_URL=f"{fake.url}/sms",
            NOTIFIER_SENDING_HOURS="always",
            NOTIFIER_DISPATCH_INTERVAL="0.05",
            NOTIFIER_BATCH_SIZE="10",
            NOTIFIER_SEND_TRIES="1",
            NOTIFIER_SEND_TIMEOUT=send_timeout,
        ),
    }


def start_notifier(env: dict[str, str], name: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (LOGS / f"etapa-e2e-kill-{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "notifier", "serve"],
        env={**env, "NOTIFIER_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


async def test_sigkill_mid_batch_loses_nothing_and_delivers_each_key_once(infra: Infra) -> None:
    fake = FakeSmsProvider(latency=0.05)
    await fake.start()
    env = notifier_env(infra, "kill", fake, send_timeout="1")
    first, first_url = start_notifier(env, f"{infra.run_id}-first")
    second: subprocess.Popen[bytes] | None = None
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            await wait_until_ready(http, first_url, timeout=60)
        chain_id, branch = uuid.uuid4(), snapshot(code="K01", name="Loja K", city="São Paulo")
        await publish_first_entries(infra, env, chain_id, branch, MESSAGES)

        async def some_sent() -> bool:
            return len(fake.requests) >= 30

        await eventually(some_sent, timeout=30, interval=0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        sent_before_kill = len(fake.deliveries)
        assert 0 < sent_before_kill < MESSAGES, "the kill must land in the middle of the work"

        second, _ = start_notifier(env, f"{infra.run_id}-second")
        pool = await create_pool(env["NOTIFIER_DATABASE_URL"])
        try:

            async def all_sent() -> bool:
                count = await pool.fetchval("SELECT count(*) FROM messages WHERE status = 'sent'")
                return bool(count == MESSAGES)

            await eventually(all_sent, timeout=60, interval=0.2)
            published = await pool.fetchval(
                """SELECT count(*) FROM outbox WHERE routing_key = 'notification.status.v1'
                   AND payload->>'status' = 'sent'"""
            )
        finally:
            await pool.close()

        keys = fake.delivered_keys()
        assert len(fake.deliveries) == MESSAGES  # every message delivered, each key once
        assert len(set(keys)) == MESSAGES
        assert published == MESSAGES  # one "sent" on each timeline
        repeats = len(keys) - len(set(keys))
        print(f"killed after {sent_before_kill} deliveries; repeated keys dropped: {repeats}")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        await fake.stop()
        await asyncio.sleep(0)


async def test_sigterm_mid_batch_lets_the_sends_in_flight_finish(infra: Infra) -> None:
    """A deploy or a scale-down: SIGTERM while ten sends wait on a slow provider. The process
    claims nothing more, records the ten as sent before it exits, and leaves none ``sending``
    (each of those would wait out its lease, a minute, for another process)."""
    fake = FakeSmsProvider(latency=1.5)
    await fake.start()
    env = notifier_env(infra, "term", fake, send_timeout="10")
    name = f"{infra.run_id}-term"
    process, url = start_notifier(env, name)
    pool = None
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            await wait_until_ready(http, url, timeout=60)
        pool = await create_pool(env["NOTIFIER_DATABASE_URL"])  # the notifier created it
        await publish_first_entries(
            infra, env, uuid.uuid4(), snapshot(code="K01", name="Loja K", city="São Paulo"), 30
        )

        async def ten_at_the_provider() -> bool:
            sending = await pool.fetchval("SELECT count(*) FROM messages WHERE status = 'sending'")
            return bool(sending == 10) and fake.arrived >= 10

        await eventually(ten_at_the_provider, timeout=30, interval=0.01)
        process.send_signal(signal.SIGTERM)
        # uvicorn stops, then raises the signal again: the process ends by SIGTERM, not killed
        code = await asyncio.to_thread(process.wait, 20)  # the fake answers meanwhile
        assert code == -signal.SIGTERM
        rows = await pool.fetch("SELECT status, count(*) AS n FROM messages GROUP BY status")
        statuses = {row["status"]: row["n"] for row in rows}
        assert statuses == {"sent": 10, "pending": 20}
        assert len(fake.deliveries) == 10
        log = (LOGS / f"etapa-e2e-kill-{name}.log").read_text()
        assert '"finished": 10, "interrupted": 0' in log or "finished=10 interrupted=0" in log
    finally:
        if pool is not None:
            await pool.close()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=20)
        await fake.stop()
