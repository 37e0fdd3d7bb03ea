"""What ``bench_e2e`` measures: CPU per process (``/proc``), queue depths, database counts, the
fake provider's receipts, and a step of the open-loop schedule with its verdict."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx

from tests.bench import e2e_handling

SMS_EVERY = 4
"""An SMS on every 4th stage (both pipelines): a quarter of the transitions send one."""
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children that still run (``/proc``)."""
    total = 0.0
    for candidate in [pid, *children_of(pid)]:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def host_stolen_seconds() -> float:
    """CPU time the hypervisor gave to other machines while this one wanted it (``steal`` in
    ``/proc/stat``), over all cores: a step that lost much of it measured a slower machine."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / TICK


def reference_loop_seconds(additions: int = 10_000_000) -> float:
    """Seconds one core takes for ``additions`` pure-Python additions: the host's speed at this
    moment, to set beside figures taken at other moments (the same machine has taken 1.2 s
    and 1.6 s within an hour)."""
    began = time.perf_counter()
    total = 0
    for n in range(additions):
        total += n
    return time.perf_counter() - began


def host_cpu(cpuinfo: str | None = None) -> str:
    """The host's processor as ``/proc/cpuinfo`` names it ("AMD EPYC, 2 cores at 2596 MHz,
    cache 1024 KB"): sessions run on different hosts, and the same code has cost 40 % more CPU
    per transition on one than on another whose reference loop was no faster."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text() if path.exists() else ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    if "model name" not in fields:
        return "processor unknown"
    mhz = fields.get("cpu MHz", "")
    speed = f" at {float(mhz):.0f} MHz" if mhz else ""
    cache = f", cache {fields['cache size']}" if "cache size" in fields else ""
    return f"{fields['model name']}, {os.cpu_count()} cores{speed}{cache}"


def stolen_share(stolen: float, seconds: float) -> str:
    """``stolen`` CPU seconds over ``seconds`` as a share of the machine's cores."""
    return f"{stolen / max(seconds, 1e-9) / (os.cpu_count() or 1):.0%}"


def pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


def infra_cpu() -> dict[str, float]:
    """RabbitMQ's and PostgreSQL's CPU (all of PostgreSQL's processes: other users' load too)."""
    return {
        "rabbitmq": sum(cpu_seconds(p) for p in pids_named("beam.smp")),
        "postgres": sum(_cpu_with_reaped_children(p) for p in pids_named("postgres")),
    }


def _cpu_with_reaped_children(pid: int) -> float:
    """User + system CPU of ``pid`` and of its children that have exited: a backend that closed
    between two readings counts in the postmaster's ``cutime``/``cstime`` (fields 16–17 of
    ``/proc/<pid>/stat``), so the sum over PostgreSQL's processes never goes down."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(field) for field in fields[11:15]) / TICK
    return 0.0


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def queue_depths(amqp_url: str, names: list[str]) -> int:
    """Ready messages in ``names`` (passive declares; a missing queue counts 0)."""
    total = 0
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for name in names:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(name, passive=True)
                total += queue.declaration_result.message_count or 0
            except aio_pika.exceptions.ChannelClosed:
                continue
            with contextlib.suppress(Exception):
                await channel.close()
    return total


async def count(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql) or 0)
    finally:
        await conn.close()


@dataclass
class Receipts:
    """The fake provider's requests, fetched as they come."""

    url: str
    rows: list[list[Any]] = field(default_factory=list)

    async def fetch(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"{self.url}/_receipts", params={"since": len(self.rows)})
        self.rows.extend(response.json())

    def accepted(self, pattern: re.Pattern[str]) -> list[tuple[float, re.Match[str], str]]:
        """(arrival, text match, key) of each distinct accepted SMS of ``pattern``, first only."""
        seen: set[str] = set()
        found = []
        for at, key, text, status in self.rows:
            match = pattern.match(text or "")
            if match and status == 200 and key not in seen:
                seen.add(key)
                found.append((at, match, key))
        return found

    def repeated(self, pattern: re.Pattern[str]) -> int:
        keys = [
            key for _, key, text, status in self.rows if pattern.match(text or "") and status == 200
        ]
        return len(keys) - len(set(keys))


@dataclass
class Cursor:
    """Round-robin over the bench's orders, with the stage each will be at once every action
    sent so far is applied (``stage_position``): the steps and the drains share one."""

    orders: list[dict[str, Any]]
    positions: dict[str, int]
    sent: int = 0
    unsure: set[str] = field(default_factory=set)
    """The numbers of the orders an advance of which was refused or got no answer: the stage
    counted for them may be one ahead of theirs, so their SMS are not counted due."""

    @classmethod
    def staggered(cls, orders: list[dict[str, Any]]) -> Cursor:
        """After ``bench_e2e.stagger``: the n-th order is ``n % SMS_EVERY`` stages on."""
        return cls(orders, {o["order_id"]: n % SMS_EVERY for n, o in enumerate(orders)})

    def next(self) -> tuple[dict[str, Any], int]:
        """The next order to advance, and the position the advance takes it to."""
        order = self.orders[self.sent % len(self.orders)]
        self.sent += 1
        self.positions[order["order_id"]] += 1
        return order, self.positions[order["order_id"]]


@dataclass
class Step:
    rate: float
    seconds: float
    begin: float = 0.0
    """When its first action was scheduled (``time.time()``)."""
    offered: int = 0
    accepted: int = 0
    committed: int = 0
    sms: int = 0
    latencies: list[float] = field(default_factory=list)
    queued: int = 0
    outbox: int = 0
    lag: int = 0
    sms_lag: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    stolen: float = 0.0
    """CPU seconds the host took from this machine during the step (``host_stolen_seconds``)."""
    handling: list[str] = field(default_factory=list)
    """Per consumer: handled, received → committed p50 / p95, per batch (``e2e_handling``)."""

    @property
    def sustained(self) -> bool:
        return (
            self.accepted >= 0.95 * self.offered
            and self.lag <= max(20, self.rate)
            and self.sms_lag <= max(10, self.rate / SMS_EVERY * 1.5)
        )

    def cpu_ms_per_transition(self, names: tuple[str, ...]) -> float:
        return 1000 * sum(self.cpu.get(n, 0.0) for n in names) / max(1, self.committed)


@dataclass
class Sampler:
    """What a step's end looks like: counters to difference, backlogs to read."""

    committed: Callable[[], Awaitable[int]]
    """Transitions committed so far."""
    sms_due: Callable[[], Awaitable[int]]
    """SMS the committed transitions call for (every ``SMS_EVERY``-th stage)."""
    backlog: Callable[[], Awaitable[tuple[int, int]]]
    pids: dict[str, int]
    metrics: dict[str, str] = field(default_factory=dict)
    """Processes whose ``/metrics`` say where messages waited, their URL by name."""
    first_committed: int = 0
    last_committed: int = 0
    last_cpu: dict[str, float] = field(default_factory=dict)
    last_stolen: float = 0.0
    last_handling: dict[e2e_handling.Key, e2e_handling.Histogram] = field(default_factory=dict)

    def cpu_now(self) -> dict[str, float]:
        now = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        now.update(infra_cpu())
        return now

    async def start(self) -> None:
        self.first_committed = self.last_committed = await self.committed()
        self.last_cpu = self.cpu_now()
        self.last_stolen = host_stolen_seconds()
        self.last_handling = await e2e_handling.read(self.metrics)

    async def close_step(self, step: Step, receipts: Receipts, pattern: re.Pattern[str]) -> int:
        """Fill in ``step``'s counters; the transitions committed since ``start``."""
        due = await self.sms_due()
        total = await self.committed()
        step.committed = total - self.last_committed
        self.last_committed = total
        cpu = self.cpu_now()
        step.cpu = {name: cpu[name] - self.last_cpu.get(name, 0.0) for name in cpu}
        self.last_cpu = cpu
        stolen = host_stolen_seconds()
        step.stolen, self.last_stolen = stolen - self.last_stolen, stolen
        step.queued, step.outbox = await self.backlog()
        handling = await e2e_handling.read(self.metrics)
        step.handling = e2e_handling.describe(self.last_handling, handling)
        self.last_handling = handling
        async with httpx.AsyncClient(timeout=30) as client:
            await receipts.fetch(client)
        sms = receipts.accepted(pattern)
        step.sms = sum(1 for at, _, _ in sms if step.begin <= at < step.begin + step.seconds)
        step.sms_lag = due - len(sms)
        return total - self.first_committed
