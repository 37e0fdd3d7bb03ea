"""What-if over 100,000 delivered orders: its time, against the raw fetch of the same rows.

Run: ``make bench-what-if``, or ``uv run python -m tests.bench.bench_what_if`` with
``--orders N --rounds R``. Needs the PostgreSQL of ``ETAPA_TEST_POSTGRES_URL``.

A workflow database of its own gets the demo chain's branches and flows and N delivered
``venda-oculos-grau`` orders with their stage entries (drawn by
``workflow.entrypoints.demo_history``, the same as ``make run``'s history, written with COPY).
Measured in the same run, one at a time:

1. **Raw baseline**: the history query alone (``REPLAY_HISTORY_SQL``: every order of the
   period from ``delivered_summaries``, as arrays, one row per branch and stages gone
   through), fetched with asyncpg, in a REPEATABLE READ READ ONLY transaction. Beside it, the
   same orders gathered from every stage entry (``ENTRIES_HISTORY_SQL``, what the what-if read
   before the summaries).
2. **What-if**: the use case behind ``POST /api/v1/service-types/{code}/what-if`` with the
   bottleneck stage removed — the same fetch, the arrays decoded into columns, every order
   replayed under the current flow and under the draft, the comparison built. Target: under
   2 s.
3. **Live flow beside it**: while what-ifs run, another connection updates order rows as the
   consumers do (one short transaction each); their latency against the same updates with
   nothing else running. The what-if's snapshot takes no row locks, so they never wait for it.

Nothing fails on a slow figure; these are numbers to watch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared.database import create_pool
from shared.demo import DEMO_BRANCHES, DEMO_CHAIN_ID
from shared.runtime import migrate_service_database
from workflow.adapters.holidays import CalendarCache
from workflow.adapters.postgres.branches import PostgresBranchStore
from workflow.adapters.postgres.flows import PostgresFlowStore
from workflow.adapters.postgres.history_seed import insert_history
from workflow.adapters.postgres.reviews import (
    ENTRIES_HISTORY_SQL,
    REPLAY_HISTORY_SQL,
    PostgresReviewStore,
)
from workflow.adapters.postgres.stores import PostgresStores
from workflow.config import MIGRATIONS
from workflow.domain.what_if import DraftStage
from workflow.entrypoints.demo_history import synthesize
from workflow.entrypoints.demo_seed import DEMO_FLOWS
from workflow.usecases.process_review import what_if
from workflow.usecases.save_flow_version import publish_flow

POSTGRES = os.environ.get(
    "ETAPA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CODE = "venda-oculos-grau"


def _database(name: str) -> str:
    return urlunsplit(urlsplit(POSTGRES)._replace(path=f"/{name}"))


async def _seed(url: str, orders: int, now: datetime) -> tuple[date, date]:
    await migrate_service_database(url, MIGRATIONS)
    pool = await create_pool(url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            name, stages = DEMO_FLOWS[CODE]
            await publish_flow(
                PostgresStores(conn), DEMO_CHAIN_ID, CODE, name, stages, now=now, actor="bench"
            )
            cache = CalendarCache()
            calendars = []
            for branch in DEMO_BRANCHES:
                row = await PostgresBranchStore(conn).ensure(DEMO_CHAIN_ID, branch.snapshot(), now)
                calendars.append((branch.branch_id, branch.code, cache.for_branch(row, now)))
            flow = await PostgresFlowStore(conn).latest(DEMO_CHAIN_ID, CODE)
            assert flow is not None
            first = now.date() - timedelta(days=200)
            per_day = max(1, orders // (len(calendars) * 130))
            history = synthesize(
                flow, calendars, first, now.date() - timedelta(days=20), now,
                random.Random(7),
                orders_per_day=(per_day, per_day + 1),
            )[:orders]  # fmt: skip
            await insert_history(conn, DEMO_CHAIN_ID, history)
        async with pool.acquire() as conn:
            await conn.execute("ANALYZE")
    finally:
        await pool.close()
    return first, now.date()


async def _timed(call: Any, rounds: int) -> list[float]:
    await call()  # warm up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return times


def _updates(url: str, ids: list[uuid.UUID], stop: threading.Event) -> list[float]:
    """Short transactions on order rows, as a consumer's, until ``stop`` — in a thread with its
    own event loop and connection, so the what-if's CPU time does not delay them here."""

    async def run() -> list[float]:
        conn = await asyncpg.connect(url)
        times = []
        index = 0
        try:
            while not stop.is_set():
                started = time.perf_counter()
                async with conn.transaction():
                    await conn.execute(
                        "UPDATE orders SET updated_at = now(), version = version + 1 "
                        "WHERE order_id = $1",
                        ids[index % len(ids)],
                    )
                times.append(time.perf_counter() - started)
                index += 1
                await asyncio.sleep(0.005)
        finally:
            await conn.close()
        return times

    return asyncio.run(run())


async def _beside(url: str, ids: list[uuid.UUID], work: Any) -> list[float]:
    """The updates' latencies while ``work()`` runs (or for two seconds without work)."""
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(_updates, url, ids, stop)
        if work is None:
            await asyncio.sleep(2)
        else:
            await work()
        stop.set()
        return future.result()


async def main(orders: int, rounds: int) -> None:
    name = f"etapa_bench_whatif_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _database(name)
    now = datetime.now(UTC)
    try:
        started = time.perf_counter()
        first, last = await _seed(url, orders, now)
        seeded = time.perf_counter() - started
        pool = await create_pool(url, max_size=4)
        try:
            async with pool.acquire() as conn:
                count = await conn.fetchval("SELECT count(*) FROM orders")
                stays = await conn.fetchval("SELECT count(*) FROM stage_entries")
                flow = await PostgresFlowStore(conn).latest(DEMO_CHAIN_ID, CODE)
                ids = [
                    r["order_id"] for r in await conn.fetch("SELECT order_id FROM orders LIMIT 500")
                ]
            assert flow is not None
            draft = [DraftStage(s) for s in flow.stages if s.key != "controle-qualidade"]
            cache = CalendarCache()

            async def raw() -> None:
                async with pool.acquire() as conn, PostgresReviewStore(conn).read_only():
                    await conn.fetch(REPLAY_HISTORY_SQL, DEMO_CHAIN_ID, CODE, first, last, None)

            async def raw_entries() -> None:
                async with pool.acquire() as conn, PostgresReviewStore(conn).read_only():
                    await conn.fetch(ENTRIES_HISTORY_SQL, DEMO_CHAIN_ID, CODE, first, last, None)

            result: dict[str, Any] = {}

            async def replay() -> None:
                async with pool.acquire() as conn:
                    found = await what_if(
                        PostgresReviewStore(conn), cache, chain_id=DEMO_CHAIN_ID, code=CODE,
                        draft=draft, date_from=first, date_to=last, branches=None, now=now,
                    )  # fmt: skip
                result["comparison"] = found.comparison

            raw_times = await _timed(raw, rounds)
            entries_times = await _timed(raw_entries, rounds)
            what_if_times = await _timed(replay, rounds)
            idle = await _beside(url, ids, None)

            async def two_what_ifs() -> None:
                await replay()
                await replay()

            busy = await _beside(url, ids, two_what_ifs)
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    comparison = result["comparison"]
    print(f"what-if bench: {count:,} delivered orders, {stays:,} stage entries")
    print(f"  (seeded in {seeded:.0f} s)")
    print(
        f"  raw history fetch   median {statistics.median(raw_times):6.2f} s"
        f"  max {max(raw_times):6.2f} s"
    )
    print(
        f"  (from stage entries median {statistics.median(entries_times):6.2f} s"
        f"  max {max(entries_times):6.2f} s)"
    )
    print(
        f"  what-if (use case)  median {statistics.median(what_if_times):6.2f} s"
        f"  max {max(what_if_times):6.2f} s"
        f"  (= {statistics.median(what_if_times) / statistics.median(raw_times):.2f} x raw; "
        "target < 2 s)"
    )
    print(
        f"  replayed {comparison.current.orders:,} orders: on time"
        f" {comparison.current.on_time_rate:.1%} → {comparison.draft.on_time_rate:.1%}"
        " without Controle de qualidade"
    )
    ms = 1000
    print(
        f"  live order updates: idle median {statistics.median(idle) * ms:.1f} ms"
        f" max {max(idle) * ms:.1f} ms ({len(idle)}); during what-ifs median"
        f" {statistics.median(busy) * ms:.1f} ms max {max(busy) * ms:.1f} ms ({len(busy)})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.rounds))
