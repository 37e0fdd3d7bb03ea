"""A backlog drained by workflow, for ``bench_e2e --drain K``: transitions committed per second
by 1, 2… workflow processes that find K advances already queued.

1. Every workflow process is paused (``SIGSTOP``: its connections stay open, nothing of it
   runs). K ``advance`` actions are posted to intake, 32 at a time, round-robin over the
   bench's orders, until intake has taken them all and its relay has put them in workflow's
   queue (no unpublished outbox row: the broker confirmed each; each paused process holds
   one of them, delivered before the pause, at prefetch 1).
2. The clock starts as the processes are continued (``SIGCONT``) and stops once workflow has
   committed the K transitions (its orders' positions, read every 0.2 s). Meanwhile
   PostgreSQL's ``pg_stat_activity`` for workflow's database is read every 0.1 s: what its
   active backends wait on (a lock, the WAL, a client read; ``CPU`` when nothing), averaged,
   and each workflow process's handler time for ``order.action`` (its ``/metrics``).

The notifier keeps running (the SMS of the drained transitions go out meanwhile); intake
takes no action then. Nothing fails on a slow figure.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from shared.outbox import RELAY_LOCK_SPACE
from tests.bench.e2e_measure import SMS_EVERY, Cursor, Sampler, host_stolen_seconds, stolen_share
from tests.bench.e2e_replicas import Replicas

CONCURRENCY = 32
WAIT_EVENTS = f"""
    SELECT coalesce(a.wait_event_type || ':' || a.wait_event, 'CPU')
        || CASE WHEN a.wait_event = 'advisory' THEN coalesce((
            SELECT CASE l.classid::int WHEN {RELAY_LOCK_SPACE} THEN ' (an outbox relay slot)'
                                       ELSE ' (an order)' END
            FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted LIMIT 1), '') ELSE '' END
    FROM pg_stat_activity a
    WHERE a.datname = $1 AND a.state = 'active' AND a.pid <> pg_backend_pid()
"""
"""What each active backend waits on; an advisory lock named by its first key: an outbox relay
slot's (``shared.outbox.RELAY_LOCK_SPACE``) or an order's (``classid`` in ``pg_locks``)."""


@dataclass
class Drain:
    backlog: int
    queued: int = 0
    """Ready messages in the services' queues when the clock started."""
    fill_seconds: float = 0.0
    seconds: float = 0.0
    committed: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    stolen: float = 0.0
    """CPU seconds the host took from this machine during the drain."""
    handled: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Each workflow process's ``order.action`` messages handled and seconds spent on them."""
    waits: dict[str, float] = field(default_factory=dict)
    """Active backends of workflow's database by what they wait on, averaged over samples."""

    @property
    def rate(self) -> float:
        return self.committed / self.seconds if self.seconds else 0.0


async def post_backlog(
    intake: str, token: str, cursor: Cursor, count: int, sent: dict[Any, float]
) -> None:
    """``count`` advances, ``CONCURRENCY`` in flight; an SMS stage's is noted in ``sent``.

    Each advance carries an ``Idempotency-Key``, so one whose connection broke before its
    answer (an ``httpx.ReadError`` ended a drain on 4 December) is asked again safely: intake
    answers a repeated key with the first action, and the order advances once."""
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(client: httpx.AsyncClient, order: dict[str, Any], position: int) -> None:
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": f"drain-{order['order_id']}-{position}",
        }
        async with semaphore:
            if position % SMS_EVERY == 0:
                sent[(order["number"], position)] = time.time()
            for attempt in range(5):
                try:
                    response = await client.post(
                        f"{intake}/api/v1/orders/{order['order_id']}/actions",
                        headers=headers,
                        json={"action": "advance"},
                    )
                except httpx.TransportError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5)
                    continue
                if response.status_code < 300:
                    return
                await asyncio.sleep(0.5)
            response.raise_for_status()

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(one(client, *cursor.next()) for _ in range(count)))


async def drain_backlog(
    *,
    intake: str,
    token: str,
    cursor: Cursor,
    count: int,
    replicas: Replicas,
    sampler: Sampler,
    workflow_db: str,
    sent: dict[Any, float],
    timeout: float = 300,
) -> Drain:
    drain = Drain(count)
    handled = await handling(replicas.urls("workflow"))
    with replicas.paused("workflow"):
        began = time.monotonic()
        await post_backlog(intake, token, cursor, count, sent)
        for _ in range(600):  # every row confirmed by the broker is in workflow's queue
            drain.queued, outbox = await sampler.backlog()
            if outbox == 0:
                break
            await asyncio.sleep(0.2)
        drain.fill_seconds = time.monotonic() - began
        before = await sampler.committed()
        cpu = sampler.cpu_now()
        stolen = host_stolen_seconds()
    started = time.monotonic()
    stop = asyncio.Event()
    waits = asyncio.create_task(wait_events(workflow_db, stop))
    try:
        while time.monotonic() - started < timeout:
            drain.committed = await sampler.committed() - before
            if drain.committed >= count:
                break
            await asyncio.sleep(0.2)
        drain.seconds = time.monotonic() - started
    finally:
        stop.set()
        drain.waits = await waits
    now = sampler.cpu_now()
    drain.cpu = {name: now[name] - cpu.get(name, 0.0) for name in now}
    drain.stolen = host_stolen_seconds() - stolen
    after = await handling(replicas.urls("workflow"))
    drain.handled = {
        name: (after[name][0] - handled[name][0], after[name][1] - handled[name][1])
        for name in after
    }
    return drain


ACTION_HANDLING = re.compile(
    r'^etapa_message_handling_seconds_(sum|count)\{[^}]*consumer="[^"]*order\.action[^"]*"[^}]*\}'
    r" ([0-9.e+-]+)$",
    re.MULTILINE,
)


async def handling(urls: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Each process's ``order.action`` messages handled so far and the seconds their handler
    took (its ``/metrics``: the transaction with the inbox claim; not decoding nor the ack)."""
    found = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for name, url in urls.items():
            text = (await client.get(f"{url}/metrics")).text
            values = {kind: float(value) for kind, value in ACTION_HANDLING.findall(text)}
            found[name] = (values.get("count", 0.0), values.get("sum", 0.0))
    return found


async def wait_events(
    database_url: str, stop: asyncio.Event, every: float = 0.1
) -> dict[str, float]:
    """What the active backends of ``database_url``'s database wait on, averaged per sample."""
    conn = await asyncpg.connect(database_url)
    seen: Counter[str] = Counter()
    samples = 0
    try:
        name = await conn.fetchval("SELECT current_database()")
        while not stop.is_set():
            seen.update(row[0] for row in await conn.fetch(WAIT_EVENTS, name))
            samples += 1
            await asyncio.sleep(every)
    finally:
        await conn.close()
    return {event: n / max(1, samples) for event, n in seen.most_common()}


def describe_drain(drain: Drain, processes: tuple[str, ...]) -> str:
    busy = sum(seconds for name, seconds in drain.cpu.items() if name != "driver")
    per = {p: 1000 * drain.cpu.get(p, 0.0) / max(1, drain.committed) for p in processes}
    waits = ", ".join(f"{event} {n:.2f}" for event, n in drain.waits.items()) or "none"
    return (
        f"drain of {drain.backlog} advances (queued {drain.queued}, filled in"
        f" {drain.fill_seconds:.1f} s): {drain.committed} committed in {drain.seconds:.1f} s"
        f" → {drain.rate:.1f} transitions/s; CPU ms per transition "
        + ", ".join(f"{p} {ms:.1f}" for p, ms in per.items())
        + f" (+ rabbitmq {1000 * drain.cpu.get('rabbitmq', 0.0) / max(1, drain.committed):.1f},"
        f" postgres {1000 * drain.cpu.get('postgres', 0.0) / max(1, drain.committed):.1f});"
        f" cores busy: {busy / max(drain.seconds, 1e-9):.2f} of"
        f" {os.cpu_count()} (these processes, RabbitMQ and all of PostgreSQL), host steal"
        f" {stolen_share(drain.stolen, drain.seconds)} of the cores"
        f"; workflow's active backends, average, by wait: {waits}"
        + "".join(
            f"; {name} handled {n:.0f} actions, {1000 * seconds / max(1, n):.1f} ms each"
            f" (in its handler {seconds / max(drain.seconds, 1e-9):.0%} of the drain)"
            for name, (n, seconds) in drain.handled.items()
        )
    )
