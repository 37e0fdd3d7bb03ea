"""Workflow's work per ``advance``, without the broker: statements, CPU here and in PostgreSQL.

Run: ``uv run python -m tests.bench.bench_workflow_path`` (``--orders 10 --advances 40``,
``--batch 1``: advances per transaction, as ``<SERVICE>_CONSUMER_BATCH``).
Needs the PostgreSQL of ``ETAPA_TEST_POSTGRES_URL``.

**Etapa**: a fresh workflow database (the contract suites' ``ContractDatabase``), a 50-stage
flow with an SMS on every 4th stage, ``--orders`` orders opened through workflow's handler;
then ``--advances`` rounds of one ``order.action.v1`` advance per order, each handled as the
consumer handles it (a pooled connection, a transaction, the inbox claim, the handler;
``shared.messaging.Subscriptions`` minus the broker), with warm caches as in a running
service; with ``--batch N``, N advances per transaction as ``shared.consumer_batches`` applies
them (one inbox statement, the batch's ``prepare`` that locks and reads its orders, the
handlers sorted by order id, the deferred writes sent before the commit). **Raw**, in the
same run and database server: the raw pipeline's *advance* hop
(``tests.bench.raw_pipeline``) in the same loop, one transaction with the inbox insert, the
order's stage update and the outbox row.

Per side: statements per advance (a counting wrapper on the connection; BEGIN, COMMIT and the
pool's reset are three more round trips for both), CPU ms per advance in this process
(``time.process_time``) and in the PostgreSQL backends serving it (``/proc/<pid>/stat``), and
wall ms per advance. Logging is at WARNING, as nothing here is about log lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import cast

import asyncpg
import structlog

from shared import inbox, outbox
from shared.consumer_batches import reading_ahead
from shared.database import Connection
from shared.outbox import committing
from tests.bench.raw_pipeline import SCHEMA
from tests.contract.workflow_stores import COMMITTED as DATABASE
from tests.counting_connection import CountingConnection
from tests.fakes.workflow_kit import STAGES, T0, action_event, opened_event, snapshot
from workflow.adapters.holidays import CalendarCache
from workflow.adapters.postgres.stores import PostgresStores
from workflow.entrypoints.consumers import WorkflowHandlers
from workflow.usecases.order_engine import OrderEngine

SMS_EVERY = 4


@dataclass
class Result:
    name: str
    advances: int
    statements: int
    cpu: float
    postgres: float
    wall: float
    batch: int = 1

    def line(self) -> str:
        n = self.advances
        return (
            f"  {self.name:6s} {self.statements / n:5.1f} statements"
            f" (+{3 / self.batch:.2g}: BEGIN, COMMIT, reset)"
            f"  CPU {1000 * self.cpu / n:5.2f} ms here"
            f" + {1000 * self.postgres / n:5.2f} ms PostgreSQL  wall {1000 * self.wall / n:5.2f} ms"
        )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process on this machine."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _backends(pool: asyncpg.Pool) -> list[int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )
    return [row["pid"] for row in rows]


async def etapa(orders: int, advances: int, batch: int = 1) -> Result:
    chain = uuid.uuid4()
    stages = tuple(
        replace(
            STAGES[0],
            key=f"e{i}",
            name=f"Etapa {i}",
            sms_template="OS {numero_os}" if i % SMS_EVERY == 0 else None,
        )
        for i in range(50)
    )
    engine = OrderEngine(CalendarCache(), lambda: T0 + timedelta(hours=2), 0.8, new_id=uuid.uuid4)
    handlers = WorkflowHandlers(engine)
    pool = await DATABASE.pool()
    async with pool.acquire() as conn, conn.transaction():
        await PostgresStores(conn).flows.add_version(
            chain, "bench", "Bench", stages, created_by=None
        )
    branch = snapshot()
    opened = [opened_event(chain, branch, service_type="bench") for _ in range(orders)]
    for one in opened:
        async with pool.acquire() as conn, conn.transaction():
            await inbox.claim(conn, "opened", one.message_id, chain)
            await handlers.on_order_opened(conn, one)
    events = [action_event(o, "advance", seq) for seq in range(2, advances + 2) for o in opened]
    # As in the service, a relay runs in this process: a commit wakes it in memory, no NOTIFY.
    outbox._local_relays.add(asyncio.Event().set)
    backends = await _backends(pool)
    statements = 0
    postgres = sum(_cpu_seconds(pid) for pid in backends)
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        async with pool.acquire() as raw:
            counting = CountingConnection(raw)
            counted = cast(Connection, counting)
            async with committing(counted):
                if batch == 1:
                    assert await inbox.claim(counted, "action", chunk[0].message_id, chain)
                    await handlers.on_order_action(counted, chunk[0])
                else:  # as ``shared.consumer_batches`` applies a batch
                    claims = [(event.message_id, chain) for event in chunk]
                    assert len(await inbox.claim_all(counted, "action", claims)) == len(chunk)
                    ordered = sorted(chunk, key=lambda e: str(e.order_id))  # the locks' order
                    with reading_ahead():
                        await handlers.prepare_orders(counted, ordered)
                        for event in ordered:
                            await handlers.on_order_action(counted, event)
            statements += len(counting.statements)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    postgres = sum(_cpu_seconds(pid) for pid in backends) - postgres
    return Result("Etapa", len(events), statements, cpu, postgres, wall, batch)


async def raw(orders: int, advances: int) -> Result:
    """The raw pipeline's advance hop, in a database of its own on the same server."""
    pool = await DATABASE.pool()
    async with pool.acquire() as conn:
        await conn.execute(SCHEMA.replace("TABLE IF NOT EXISTS ", "TABLE IF NOT EXISTS raw_"))
    order_ids = [uuid.uuid4() for _ in range(orders)]
    backends = await _backends(pool)
    n = orders * advances
    postgres = sum(_cpu_seconds(pid) for pid in backends)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        order_id = order_ids[i % orders]
        async with pool.acquire() as conn, conn.transaction():
            await conn.fetchval(
                "INSERT INTO raw_inbox (consumer, message_id) VALUES ('advance', $1)"
                " ON CONFLICT DO NOTHING RETURNING true",
                uuid.uuid4(),
            )
            position = await conn.fetchval(
                "INSERT INTO raw_orders (order_id, position) VALUES ($1, 1)"
                " ON CONFLICT (order_id)"
                " DO UPDATE SET position = raw_orders.position + 1, updated_at = now()"
                " RETURNING position",
                order_id,
            )
            change = {
                "message_id": str(uuid.uuid4()),
                "order_id": str(order_id),
                "position": position,
            }
            await conn.fetchval(
                "INSERT INTO raw_outbox (message_id, payload) VALUES ($1, $2) RETURNING id",
                uuid.UUID(change["message_id"]),
                json.dumps(change),
            )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    postgres = sum(_cpu_seconds(pid) for pid in backends) - postgres
    return Result("raw", n, 3 * n, cpu, postgres, wall)


async def main(orders: int, advances: int, batch: int) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        mine = await etapa(orders, advances, batch)
        baseline = await raw(orders, advances)
    finally:
        await DATABASE.drop()
    print(
        f"workflow, {mine.advances} advances (50-stage flow, an SMS every {SMS_EVERY}th),"
        f" {batch} per transaction:"
    )
    print(mine.line())
    print(baseline.line())
    ratio = (mine.cpu + mine.postgres) / (baseline.cpu + baseline.postgres)
    print(f"  CPU here + PostgreSQL: {ratio:.2f} x raw")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--advances", type=int, default=40, help="per order, at most 48")
    parser.add_argument("--batch", type=int, default=1, help="advances per transaction")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.orders, min(arguments.advances, 48), max(1, arguments.batch)))
