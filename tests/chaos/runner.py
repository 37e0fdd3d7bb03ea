"""One run of one scenario: fresh databases and queue names on the suite's own RabbitMQ node and
PostgreSQL cluster, the services as processes, the load, the fault, then the verdict."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from typing import Any

import aio_pika
import asyncpg

from etapa_contracts.topology import Topology
from shared.database import drop_database
from tests.chaos.measure import Request, Row, deliveries, recovery_time
from tests.chaos.scenarios import SCENARIOS, TAPPED, Chaos, Settings
from tests.chaos.stack import BACKENDS, Services
from tests.chaos.tap import Tap
from tests.chaos.workload import CLICKS, EXPECTED_ENTRIES, EXPECTED_PLACE, Order, Workload
from tests.fakes.sms_provider import FakeSmsProvider
from tests.infra import Infra
from tests.own_broker import OwnRabbitMQ
from tests.own_postgres import OwnPostgres

OLDER_NEWS = "o cliente já recebeu o SMS de uma etapa seguinte desta OS"
"""The notifier's reason for a message suppressed as older news (``notifier.domain.delivery``;
the suite imports no service code, and ``tests/unit/test_chaos_measure.py`` holds the two
equal)."""


def _requests(provider: FakeSmsProvider) -> list[Request]:
    return [Request(r.key, r.status, r.at) for r in provider.requests]


async def _older_news(infra: Infra) -> set[str]:
    """The send keys the notifier suppressed as older news (a later stage's SMS of the order
    went out first)."""
    conn = await asyncpg.connect(infra.database_url("notifier"))
    try:
        rows = await conn.fetch(
            "SELECT order_id, entry_sequence FROM messages"
            " WHERE status = 'suppressed' AND status_reason = $1",
            OLDER_NEWS,
        )
    finally:
        await conn.close()
    return {f"{row['order_id']}:{row['entry_sequence']}" for row in rows}


async def _dead_letters(node: OwnRabbitMQ, prefix: str) -> tuple[int, int]:
    """(real events, chaos poison) in this run's dead-letter queues."""
    out = await node.ctl("-q", "list_queues", "name", "messages", "--no-table-headers")
    names = [
        line.split("\t")[0]
        for line in out.splitlines()
        if line.startswith(prefix) and line.split("\t")[0].endswith(".dlq")
        and line.split("\t")[-1].strip() not in ("", "0")
    ]  # fmt: skip
    kinds: Counter[str] = Counter()
    if not names:
        return 0, 0
    connection = await aio_pika.connect(node.amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in names:
            queue = await channel.declare_queue(name, passive=True)
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                kinds[str((message.headers or {}).get("x-chaos", "event"))] += 1
    return kinds["event"] + kinds["copy"], kinds["poison"]


async def _remove_topology(node: OwnRabbitMQ, prefix: str) -> None:
    """Delete the run's queues and exchanges: a single node holding every run's quorum queues
    would carry hundreds of them by the end of the suite."""
    queues = await node.ctl("-q", "list_queues", "name", "--no-table-headers")
    exchanges = await node.ctl("-q", "list_exchanges", "name", "--no-table-headers")
    connection = await aio_pika.connect(node.amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in queues.split():
            if name.startswith(prefix):
                await channel.queue_delete(name)
        for name in exchanges.split():
            if name.startswith(prefix):
                await channel.exchange_delete(name)


def _refusals(found: dict[str, Any]) -> int:
    return sum(1 for entry in found.get("timeline", []) if entry["kind"] == "action_refused")


async def _places(workload: Workload, orders: list[Order]) -> tuple[int, int, list[str]]:
    """(orders out of place, orders with refusals their actions did not call for, examples)."""
    limit = asyncio.Semaphore(8)
    misplaced, refused, examples = 0, 0, []

    async def check(order: Order) -> None:
        nonlocal misplaced, refused
        async with limit:
            found = await workload.workflow_order(str(order.order_id))
        place = (found.get("status"), found.get("stage_key"), found.get("entry_sequence"))
        wanted = CLICKS - 1 if order.kind == "double_click" else 0
        if place != EXPECTED_PLACE:
            misplaced += 1
            examples.append(f"{order.number} ({order.kind}) at {place}")
        if _refusals(found) != wanted:
            refused += 1
            summaries = [t["summary"] for t in found.get("timeline", [])]
            examples.append(f"{order.number} ({order.kind}) refusals: {summaries}")

    await asyncio.gather(*(check(order) for order in orders))
    return misplaced, refused, examples


async def run_once(
    scenario: str, run: int, settings: Settings, node: OwnRabbitMQ, postgres: OwnPostgres
) -> tuple[Row, list[str]]:
    infra = Infra(postgres.url(), node.amqp_url)
    provider = FakeSmsProvider()
    await provider.start()
    services = Services(
        infra,
        scenario,
        {
            "ETAPA_DELIVERY_LIMIT": "20",
            "NOTIFIER_SMS_PROVIDER": "http",
            "NOTIFIER_HTTP_URL": f"{provider.url}/sms",
            "NOTIFIER_SENDING_HOURS": "always",
            "NOTIFIER_DISPATCH_INTERVAL": "0.2",
            "NOTIFIER_SEND_TIMEOUT": "2",
            "NOTIFIER_RETRY_BASE_DELAY": "2",
        },
    )
    seed = run * 1000 + sum(map(ord, scenario))
    workload = Workload(
        services.url("intake"),
        services.url("workflow"),
        deadline=settings.outage + 120,
        seed=seed,
    )
    tap: Tap | None = None
    notes: list[str] = []
    try:
        for service in BACKENDS:
            services.start(service)
        await services.wait_ready()
        await workload.set_up(f"{scenario}-{run}-{uuid.uuid4().hex[:4]}")
        if scenario in TAPPED:
            tap = Tap(node.amqp_url, Topology(prefix=infra.prefix).events_exchange, seed)
            await tap.start()
        chaos = Chaos(settings, node, postgres, services, provider, workload, tap)
        stop = asyncio.Event()
        load = asyncio.create_task(workload.run(stop, settings.rate))
        load_started = time.time()
        await asyncio.sleep(settings.before)
        fault_start = time.time()
        injected = await SCENARIOS[scenario](chaos)
        fault_s = time.time() - fault_start
        await asyncio.sleep(settings.after)
        stop.set()
        await load
        await workload.finish()

        accepted = [o for o in workload.orders if o.done]
        expected = {f"{o.order_id}:{entry}" for o in accepted for entry in EXPECTED_ENTRIES}
        expected.add(f"{workload.warm_order_id}:1")
        # Orders that gave up may still have been opened: their SMS are neither lost nor extra.
        unknown = {o.order_id for o in workload.orders if not o.done and o.order_id}
        drain_end = time.time() + settings.drain
        while time.time() < drain_end:
            sent = {r.key for r in provider.requests if r.status == 200}
            if expected - await _older_news(infra) <= sent:
                break
            await asyncio.sleep(1)
        await asyncio.sleep(5)  # anything still to come twice comes now
        until = time.time()
        requests = [r for r in _requests(provider) if (r.key or "").split(":")[0] not in unknown]
        older_news = await _older_news(infra)
        found = deliveries(expected, requests, older_news)
        misplaced, refused, examples = await _places(workload, accepted)
        dlq_events, dlq_poison = await _dead_letters(node, infra.prefix)
        recovery = recovery_time(
            requests, fault_start, load_started + min(4.0, settings.before / 2), until
        )
        statuses = workload.statuses
        row = Row(
            scenario=scenario,
            run=run + 1,
            orders=len(workload.orders),
            not_accepted=len(workload.orders) - len(accepted),
            expected_sms=len(expected),
            lost=found.lost,
            older_news=found.older_news,
            extra=found.extra,
            dup_raw=found.dup_raw,
            dup_no_key=found.dup_no_key,
            misplaced=misplaced,
            refused=refused,
            dlq_events=dlq_events,
            dlq_poison=dlq_poison,
            injected=injected,
            fault_s=fault_s,
            recovery_s=recovery,
            http_5xx=sum(n for status, n in statuses.items() if status >= 500),
            http_500=statuses[500],
        )
        notes.extend(examples[:10])
        if workload.transport_errors:
            notes.append(f"client: {workload.progress()}")
        notes.extend(o.error or "" for o in workload.orders if o.error)
        if found.older_news:
            notes.append(f"older news suppressed: {sorted(older_news & expected)[:10]}")
        if found.lost:
            notes.append(f"lost keys (first 10): {list(found.lost_keys[:10])}")
        return row, notes
    finally:
        if tap is not None:
            with contextlib.suppress(Exception):
                await tap.stop()
        services.stop()
        await workload.close()
        await provider.stop()
        with contextlib.suppress(Exception):
            await _remove_topology(node, infra.prefix)
            for service in BACKENDS:
                await drop_database(infra.database_url(service))
