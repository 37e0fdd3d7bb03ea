"""End to end: ``advance`` accepted at intake → committed in workflow → SMS at the provider.

Run: ``make bench-e2e``, or ``uv run python -m tests.bench.bench_e2e`` with
``--rates 25,50,100,200,400 --step 20 --latency 0.02``. Needs the PostgreSQL and
RabbitMQ of ``ETAPA_TEST_POSTGRES_URL`` and ``ETAPA_TEST_AMQP_URL`` (the local servers).
``--workflows N --notifiers M`` (or ``BENCH_WORKFLOWS``, ``BENCH_NOTIFIERS``; 1 each by default)
run that many processes of each, each with its HTTP port (the first serves the API the bench
calls); ``--drain K`` (``BENCH_DRAIN``) adds, after the steps, a backlog of K advances queued
while workflow is paused and timed as it drains (``tests.bench.e2e_drain``). ``make
bench-scale`` (``tests.bench.bench_scale``) compares several such configurations in one run.

1. **Etapa**: intake, workflow and notifier run as processes (``python -m <service> serve``)
   with fresh databases and their own topology prefix, the demo chain seeded, notifier's
   ``http`` provider pointed at the fake provider (``tests.bench.e2e_fake``, its own process,
   ``--latency`` seconds per request). A service type of 50 stages (an SMS on every 4th) is
   saved through workflow's API and enough orders are opened through intake for every
   action to have a stage to go to. Then
   ``POST /orders/{id}/actions {"action": "advance"}`` is sent open-loop (on a fixed schedule,
   never waiting for answers) at each rate for ``--step`` seconds, round-robin over the orders.
2. **Raw pipeline** (``tests.bench.raw_pipeline``), in the same run, at the same rates: the same
   hops in plain aio-pika + asyncpg with the same durability (inbox, outbox, confirms, acks).
3. With ``--raw-http``, **the raw pipeline with its accept behind HTTP** (``accept-http``: a bare
   ASGI app under uvicorn), driven by the same load driver as Etapa: what the HTTP hop itself
   costs, apart from what Etapa does around it.

Per step: offered actions/s and accepted/s (intake's 2xx answers received in the step),
transitions committed/s (workflow's orders), SMS/s
at the fake, action → SMS p50/p95/p99 (from the scheduled send to the provider's receipt), the
backlog at the step's end (queues' ready messages, unpublished outbox rows, transitions
accepted but not committed), CPU per process (``/proc``) → ms CPU per transition, and where
messages waited in workflow and the notifier (``tests.bench.e2e_handling``).
A step is sustained when intake accepts ≥ 95 % of the offered actions and, at its end, the
transitions accepted but not committed are under one second's worth (the backlog is flat) and
the SMS due but not at the provider under 1.5 seconds' worth; the escalation stops at the first
step that is not. After the steps: nothing lost (every SMS-stage transition reached the fake)
and nothing duplicated (no idempotency key sent twice). Nothing fails on a slow figure.
At each rate both Etapa and the raw pipeline kept up, the machine's CPU per transition (every
process the step ran on: the pipeline's, RabbitMQ, PostgreSQL and the load driver) and raw's
over Etapa's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import uvloop

from etapa_contracts.topology import Topology
from shared.database import drop_database
from shared.wiring import CONSUMES
from tests.bench.e2e_drain import Drain, describe_drain, drain_backlog
from tests.bench.e2e_hops import add_hop_lines
from tests.bench.e2e_http import HttpFailure, LeanClient
from tests.bench.e2e_measure import (
    SMS_EVERY,
    Cursor,
    Receipts,
    Sampler,
    Step,
    children_of,
    count,
    host_cpu,
    percentile,
    queue_depths,
    stolen_share,
)
from tests.bench.e2e_replicas import Replicas, process_name
from tests.bench.e2e_vacuum import autovacuum_stand_in
from tests.bench.raw_pipeline import queue_names
from tests.browser.people import ADMIN, ATTENDANT_SP, StaffApi
from tests.conftest import _cleanup
from tests.infra import Infra
from tests.integration.harness import free_port
from tests.processes import BACKENDS, running_services, wait_ready

POSTGRES = os.environ.get(
    "ETAPA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP = os.environ.get("ETAPA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
LOGS = Path(os.environ.get("ETAPA_E2E_LOG_DIR", "/tmp"))
STAGES = 50
"""Workflow's limit for a flow; each order takes at most ``STAGES - 1`` advances."""
SERVICE_TYPE = "bench-etapas"
POSITIONS = (
    f"SELECT coalesce(sum(stage_position), 0) FROM orders WHERE service_type = '{SERVICE_TYPE}'"
)
"""Transitions committed on the bench's orders (the demo's orders, of other types, not counted)."""
RAW_ROLES = ("accept", "advance", "notify")
OWN_SESSIONS = os.environ.get("ETAPA_BENCH_ONE_SESSION") != "1"
"""Each process of a pipeline (Etapa's services, the raw pipeline's hops) starts in a session
of its own, as honcho starts them under ``make run`` and as each container runs apart: where
the kernel groups tasks by session for the scheduler (``sched_autogroup_enabled``), the cores
are shared between processes first and then between a process's threads, so a process's share
does not shrink with the threads of the others. ``ETAPA_BENCH_ONE_SESSION=1`` starts them all
in the bench's session, one group, as the benches did until 6 December."""
SMS_TEXT = re.compile(r"OS (\S+) etapa e(\d+)")


# ---------------------------------------------------------------- Etapa


def flow() -> dict[str, Any]:
    return {
        "code": SERVICE_TYPE,
        "name": f"Bench: {STAGES} etapas",
        "stages": [
            {
                "key": f"e{n:03d}",
                "name": f"Etapa {n}",
                "planned_days": 1,
                "counting": "calendar",
                "sms_template": (
                    f"OS {{numero_os}} etapa e{n:03d}" if n and n % SMS_EVERY == 0 else None
                ),
            }
            for n in range(STAGES)
        ],
    }


async def open_orders(api: StaffApi, intake: str, count_: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {api.token(ATTENDANT_SP)}"}
    branch = api.branch_id("SP01")
    semaphore = asyncio.Semaphore(8)

    async def one(client: httpx.AsyncClient, n: int) -> dict[str, Any]:
        async with semaphore:
            for _ in range(100):  # intake learns the new type from workflow's event
                response = await client.post(
                    f"{intake}/api/v1/orders",
                    headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                    json={
                        "branch_id": branch,
                        "service_type": SERVICE_TYPE,
                        "customer": {
                            "name": f"Cliente {n}",
                            "phone": "(11) 98765-4321",
                            "sms_consent": True,
                        },
                    },
                )
                if response.status_code < 300:
                    order: dict[str, Any] = response.json()
                    return order
                await asyncio.sleep(0.2)
            raise RuntimeError(f"cannot open an order: {response.status_code} {response.text}")

    async with httpx.AsyncClient(timeout=30) as client:
        return list(await asyncio.gather(*(one(client, n) for n in range(count_))))


def log_failure(exc: Exception) -> None:
    print(f"  an advance got no answer: {type(exc).__name__}: {exc}", flush=True)


async def stagger(intake: str, token: str, orders: list[dict[str, Any]]) -> int:
    """Move the n-th order ``n % SMS_EVERY`` stages on, before the clock: round-robin then
    reaches an SMS stage on a quarter of the orders in every round, not all in one round."""
    semaphore = asyncio.Semaphore(16)
    headers = {"Authorization": f"Bearer {token}"}

    async def move(client: httpx.AsyncClient, order_id: str, stages: int) -> None:
        async with semaphore:
            for _ in range(stages):
                response = await client.post(
                    f"{intake}/api/v1/orders/{order_id}/actions",
                    headers=headers,
                    json={"action": "advance"},
                )
                response.raise_for_status()

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(
            *(move(client, o["order_id"], n % SMS_EVERY) for n, o in enumerate(orders))
        )
    return sum(n % SMS_EVERY for n in range(len(orders)))


async def drive(
    intake: str,
    token: str,
    cursor: Cursor,
    steps: list[Step],
    sampler: Sampler,
    sent: dict[Any, float],
    receipts: Receipts,
    sms_text: re.Pattern[str] = SMS_TEXT,
) -> list[Step]:
    """Post ``advance`` open-loop at each step's rate; close each step with a sample."""
    accepted_at: list[float] = []
    failures: dict[int, int] = {}
    done: list[Step] = []
    # a lean client (``tests.bench.e2e_http``), not httpx nor aiohttp, for the open-loop load:
    # the driver shares the cores with what it measures (httpx took 0.5-0.8 of a core at 100
    # actions/s; aiohttp 0.7-1.0 ms of CPU per action)
    client = LeanClient(intake)
    headers = {"Authorization": f"Bearer {token}"}
    body = json.dumps({"action": "advance"}).encode()
    try:

        async def post(order: dict[str, Any], at: float) -> None:
            try:
                status = await client.post(
                    f"/api/v1/orders/{order['order_id']}/actions",
                    {**headers, "X-Bench-Sent-At": repr(at)},  # read by raw HTTP only
                    body,
                )
            except HttpFailure as exc:
                status = 0
                log_failure(exc)
            if 200 <= status < 300:
                accepted_at.append(time.time())  # intake's answer: what it took on
            else:
                failures[status] = failures.get(status, 0) + 1
                cursor.unsure.add(order["number"])

        tasks: set[asyncio.Task[None]] = set()
        await sampler.start()
        start = time.time() + 0.5
        for step in steps:
            step.begin = start
            driver_cpu = time.process_time()  # this process alone: the load's own cost
            total = round(step.rate * step.seconds)
            for i in range(total):
                at = start + i / step.rate
                delay = at - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                order, position = cursor.next()
                if position % SMS_EVERY == 0:
                    sent[(order["number"], position)] = at
                task = asyncio.create_task(post(order, at))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            start += step.seconds
            await asyncio.sleep(max(0.0, start - time.time()))
            step.offered = total
            step.accepted = sum(1 for a in accepted_at if start - step.seconds <= a < start)
            driver_cpu = time.process_time() - driver_cpu
            committed_total = await sampler.close_step(step, receipts, sms_text)
            step.cpu["driver"] = driver_cpu
            step.lag = len(accepted_at) - committed_total
            done.append(step)
            print(f"  {describe(step)}", flush=True)
            if not step.sustained:
                break
        await asyncio.gather(*list(tasks), return_exceptions=True)
    finally:
        client.close()
    if failures:
        print(f"  refused or failed advances: {failures}")
    return done


@dataclass
class Etapa:
    """Etapa's services, set up for the bench: its flow saved, its orders opened and staggered."""

    amqp_url: str
    intake: str
    token: str
    env: dict[str, str]
    cursor: Cursor
    replicas: Replicas
    queues: list[str]

    @property
    def workflow_db(self) -> str:
        return self.env["WORKFLOW_DATABASE_URL"]

    async def committed(self) -> int:
        return await count(self.workflow_db, POSITIONS)

    async def sms_due(self) -> int:
        return await count(
            self.workflow_db,
            f"SELECT coalesce(sum(stage_position / {SMS_EVERY}), 0) FROM orders"
            f" WHERE service_type = '{SERVICE_TYPE}'",
        )

    async def backlog(self) -> tuple[int, int]:
        outbox = 0
        for service in BACKENDS:
            outbox += await count(
                self.env[f"{service.upper()}_DATABASE_URL"],
                "SELECT count(*) FROM outbox WHERE published_at IS NULL",
            )
        return await queue_depths(self.amqp_url, self.queues), outbox

    def sampler(self) -> Sampler:
        """Counters and CPU of every process running now (``workflow``, ``workflow-2``…)."""
        return Sampler(
            self.committed,
            self.sms_due,
            self.backlog,
            self.replicas.pids(),
            metrics={
                "intake": self.intake,
                **self.replicas.urls("workflow"),
                **self.replicas.urls("notifier"),
            },
        )

    def scale(self, workflows: int, notifiers: int) -> None:
        self.replicas.scale("workflow", workflows)
        self.replicas.scale("notifier", notifiers)

    async def wait_quiet(self) -> None:
        """Until no queue holds a message and the position sum stood still for 3 s: what was
        sent before (openings, staggering, a step that did not keep up) is all handled, else
        the next measure counts its transitions and waits behind them."""
        last, still = -1, 0
        for _ in range(600):
            now = await self.committed()
            quiet = now == last and await queue_depths(self.amqp_url, self.queues) == 0
            still, last = (still + 1 if quiet else 0), now
            if still >= 6:
                break
            await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def etapa_services(
    infra: Infra, fake_url: str, orders_count: int, **extra_env: str
) -> AsyncIterator[Etapa]:
    """Intake, workflow and notifier running (one process each; ``Etapa.scale`` adds more)."""
    extra = {
        "NOTIFIER_SMS_PROVIDER": "http",
        "NOTIFIER_HTTP_URL": f"{fake_url}/sms",
        "NOTIFIER_SENDING_HOURS": "always",
        "ETAPA_LOG_LEVEL": "WARNING",
        # The load's one token lives as long as the longest run (``bench_scale --in-turn`` with
        # eight runs a rate took 20 minutes; 15 is the default): a step is not cut short by 401.
        "INTAKE_TOKEN_TTL_MINUTES": "480",
        **extra_env,
    }
    with running_services(
        infra, "e2e", BACKENDS, demo=True, own_sessions=OWN_SESSIONS, **extra
    ) as urls:
        await asyncio.to_thread(wait_ready, urls, BACKENDS, 90)
        env = infra.service_env("e2e", **extra)
        replicas = Replicas(
            {**os.environ, **env},
            LOGS / f"etapa-bench-e2e-{infra.run_id}",
            service_pids(),
            urls,
            OWN_SESSIONS,
        )
        api = StaffApi(urls)
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                f"{urls['workflow']}/api/v1/service-types",
                headers={"Authorization": f"Bearer {api.token(ADMIN)}"},
                json=flow(),
            )
            if response.status_code >= 300:
                raise RuntimeError(f"the bench flow was refused: {response.text}")
        orders = await open_orders(api, urls["intake"], orders_count)
        for _ in range(300):
            placed = await count(env["WORKFLOW_DATABASE_URL"], "SELECT count(*) FROM orders")
            contacts = await count(env["NOTIFIER_DATABASE_URL"], "SELECT count(*) FROM contacts")
            if placed >= orders_count and contacts >= orders_count:
                break
            await asyncio.sleep(0.2)
        staggered = await stagger(urls["intake"], api.token(ATTENDANT_SP), orders)
        topology = Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"])
        etapa = Etapa(
            amqp_url=infra.amqp_url,
            intake=urls["intake"],
            token=api.token(ATTENDANT_SP),
            env=env,
            cursor=Cursor.staggered(orders),
            replicas=replicas,
            queues=[
                topology.queue_name(service, event.routing_key())
                for service, events in CONSUMES.items()
                for event in events
            ],
        )
        for _ in range(600):
            if await etapa.committed() >= staggered:
                break
            await asyncio.sleep(0.2)
        databases = [env[f"{service.upper()}_DATABASE_URL"] for service in BACKENDS]
        try:
            async with autovacuum_stand_in(databases) as vacuums:
                yield etapa
            print(f"Etapa: {vacuums.describe()}", flush=True)
        finally:
            replicas.stop_all()


async def measure(
    etapa: Etapa,
    rates: list[float],
    seconds: float,
    drain: int,
    receipts: Receipts,
    sent: dict[Any, float],
) -> tuple[list[Step], Drain | None]:
    """The open-loop steps, then (``drain`` > 0) a backlog of ``drain`` advances drained, with
    the processes running now."""
    await etapa.wait_quiet()
    sampler = etapa.sampler()
    async with httpx.AsyncClient(timeout=30) as client:
        await receipts.fetch(client)
    steps = [Step(rate, seconds) for rate in rates]
    done = await drive(etapa.intake, etapa.token, etapa.cursor, steps, sampler, sent, receipts)
    if not drain:
        return done, None
    return done, await drain_now(etapa, drain, sent, sampler)


async def drain_now(
    etapa: Etapa, drain: int, sent: dict[Any, float], sampler: Sampler | None = None
) -> Drain:
    """Once nothing is queued, ``drain`` advances queued while every workflow process is
    paused, then timed while the processes running now commit them."""
    await etapa.wait_quiet()
    sampler = sampler or etapa.sampler()
    drained = await drain_backlog(
        intake=etapa.intake,
        token=etapa.token,
        cursor=etapa.cursor,
        count=drain,
        replicas=etapa.replicas,
        sampler=sampler,
        workflow_db=etapa.workflow_db,
        sent=sent,
    )
    print(f"  {describe_drain(drained, tuple(sampler.pids))}", flush=True)
    return drained


def drain_env(amqp_url: str, drain: int) -> dict[str, str]:
    """A drain pauses workflow for as long as intake takes to fill its queue: a heartbeat of
    10 minutes keeps the broker from closing the paused processes' connections meanwhile."""
    if not drain:
        return {}
    separator = "&" if "?" in amqp_url else "?"
    return {"ETAPA_AMQP_URL": f"{amqp_url}{separator}heartbeat=600"}


@dataclass(frozen=True)
class Processes:
    """How many workflow and notifier processes run (intake: one)."""

    workflows: int = 1
    notifiers: int = 1

    @classmethod
    def parse(cls, text: str) -> Processes:
        """``"2+1"``: two workflow processes, one notifier."""
        workflows, _, notifiers = text.partition("+")
        processes = cls(int(workflows), int(notifiers or workflows))
        if processes.workflows < 1 or processes.notifiers < 1:
            raise ValueError(f"at least one process of each, not {text!r}")
        return processes

    def __str__(self) -> str:
        return f"{self.workflows}+{self.notifiers}"


async def run_etapa(
    infra: Infra,
    fake_url: str,
    rates: list[float],
    seconds: float,
    orders_count: int,
    processes: Processes,
    drain: int = 0,
) -> tuple[list[Step], dict[str, Any], Drain | None]:
    env = drain_env(infra.amqp_url, drain)
    async with etapa_services(infra, fake_url, orders_count, **env) as etapa:
        etapa.scale(processes.workflows, processes.notifiers)
        receipts = Receipts(fake_url)
        sent: dict[Any, float] = {}
        done, drained = await measure(etapa, rates, seconds, drain, receipts, sent)
        summary = await drain_and_check(
            receipts, sent, done, SMS_TEXT, etapa_key, unsure=etapa.cursor.unsure
        )
        await add_hop_lines(etapa.env, done)
    return done, summary, drained


def etapa_key(match: re.Match[str]) -> tuple[str, int]:
    return match.group(1), int(match.group(2))


def service_pids() -> dict[str, int]:
    """This process's children running ``python -m <service> serve``."""
    found = {}
    for pid in children_of(os.getpid()):
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            for service in BACKENDS:
                if service.encode() in argv and b"serve" in argv:
                    found[service] = pid
    return found


def sure_only(sent: dict[Any, float], unsure: Collection[Any]) -> tuple[dict[Any, float], int]:
    """The SMS due (``sent``, keyed ``(order, position)``) but those of the orders in ``unsure``,
    and how many were left out."""
    sure = {key: at for key, at in sent.items() if key[0] not in unsure}
    return sure, len(sent) - len(sure)


async def drain_and_check(
    receipts: Receipts,
    sent: dict[Any, float],
    steps: list[Step],
    pattern: re.Pattern[str],
    key_of: Callable[[re.Match[str]], Any],
    timeout: float = 90,
    stalled: float = 15,
    unsure: Collection[Any] = (),
) -> dict[str, Any]:
    """Wait for the SMS still due (until all came, none came for ``stalled`` seconds or
    ``timeout`` passed); give each step its latencies; count missing and repeated SMS. The SMS
    of the orders in ``unsure`` (a key's first part) are left out and counted apart."""
    sent, left_out = sure_only(sent, unsure)
    async with httpx.AsyncClient(timeout=30) as client:
        deadline = time.monotonic() + timeout
        progress, last = time.monotonic(), -1
        while True:
            await receipts.fetch(client)
            got = {key_of(m): at for at, m, _ in receipts.accepted(pattern)}
            if len(got) > last:
                progress, last = time.monotonic(), len(got)
            now = time.monotonic()
            if len(got) >= len(sent) or now > deadline or now - progress > stalled:
                break
            await asyncio.sleep(0.5)
    for key, at in sent.items():
        if key in got:
            for step in steps:
                if step.begin <= at < step.begin + step.seconds:
                    step.latencies.append(got[key] - at)
    return {
        "expected": len(sent),
        "delivered": len([k for k in sent if k in got]),
        "repeated": receipts.repeated(pattern),
        "left_out": left_out,
        "unsure_orders": len(unsure),
    }


# ---------------------------------------------------------------- raw pipeline


@dataclass
class RawPipeline:
    """The raw pipeline's advance and notify hops running, and how its actions come: its own
    ``accept`` process with a schedule per call to ``run``, or (``http`` set) ``accept-http``
    fed by the load driver, as Etapa's intake is."""

    infra: Infra
    tag: str
    """``raw`` or ``rawh`` (over HTTP): its databases, queues and SMS texts."""
    urls: dict[str, str]
    launch: Callable[..., subprocess.Popen[bytes]]
    hops: dict[str, int]
    """The advance and notify processes' pids."""
    orders: int
    http: tuple[subprocess.Popen[bytes], str, Cursor] | None = None
    """``accept-http``'s process, its URL and the driver's cursor over synthetic orders."""

    @property
    def text(self) -> re.Pattern[str]:
        return raw_text(self.tag)

    async def committed(self) -> int:  # transitions: the advance hop's inbox rows
        return await count(self.urls["advance"], "SELECT count(*) FROM inbox")

    async def sms_due(self) -> int:
        return await count(
            self.urls["advance"], f"SELECT coalesce(sum(position / {SMS_EVERY}), 0) FROM orders"
        )

    async def accepted(self, before: float | None = None) -> int:
        sql = "SELECT count(*) FROM actions"
        if before is not None:
            sql += f" WHERE created_at < to_timestamp({before})"
        return await count(self.urls["accept"], sql)

    async def backlog(self) -> tuple[int, int]:
        outbox = 0
        for role in ("accept", "advance"):
            outbox += await count(
                self.urls[role], "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
        return await self.queued(), outbox

    async def queued(self) -> int:
        queues = queue_names(f"{self.infra.prefix}{self.tag}.")
        return await queue_depths(self.infra.amqp_url, list(queues))

    async def wait_quiet(self) -> None:
        """Until its queues are empty (what an earlier step left is handled)."""
        for _ in range(600):
            if await self.queued() == 0:
                return
            await asyncio.sleep(0.5)

    def sampler(self, accept_pid: int) -> Sampler:
        pids = {"accept": accept_pid, **self.hops}
        return Sampler(self.committed, self.sms_due, self.backlog, pids)

    async def run(self, steps: list[Step], receipts: Receipts) -> list[Step]:
        """``steps``, one after the other, until one does not keep up."""
        if self.http is not None:
            process, url, cursor = self.http
            sampler = self.sampler(process.pid)
            return await drive(url, "raw", cursor, steps, sampler, {}, receipts, self.text)
        schedule = ",".join(f"{s.rate}:{s.seconds}" for s in steps)
        accept = self.launch(
            "accept",
            *("--schedule", schedule, "--orders", str(self.orders)),
            *("--sms-every", str(SMS_EVERY)),
        )
        try:
            begin = float(await ready(accept, "accept"))
            sampler = self.sampler(accept.pid)
            return await scheduled_steps(steps, begin, sampler, receipts, self)
        finally:
            accept.terminate()
            await asyncio.to_thread(accept.wait)

    async def check(self, receipts: Receipts, steps: list[Step]) -> dict[str, Any]:
        """Nothing lost, nothing twice; each step's SMS latencies."""
        sent = await raw_sent(self.urls["advance"])
        return await drain_and_check(receipts, sent, steps, self.text, raw_key)


@contextlib.asynccontextmanager
async def raw_pipeline(
    infra: Infra, fake_url: str, prefetch: int, orders: int, over_http: bool = False
) -> AsyncIterator[RawPipeline]:
    """The raw pipeline's processes (``tests.bench.raw_pipeline``) on databases and queues of
    their own, removed afterwards."""
    tag = "rawh" if over_http else "raw"
    prefix = f"{infra.prefix}{tag}."
    urls = {role: infra.database_url(tag, f"_{role}") for role in RAW_ROLES}
    common = ["--amqp", infra.amqp_url, "--prefix", prefix, "--prefetch", str(prefetch)]
    started: list[subprocess.Popen[bytes]] = []
    logs = []

    def launch(role: str, *extra: str) -> subprocess.Popen[bytes]:
        log = (LOGS / f"etapa-bench-e2e-{infra.run_id}-{tag}-{role}.log").open("wb")
        logs.append(log)
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.bench.raw_pipeline", role),
                *("--database", urls[role.removesuffix("-http")], *common, *extra),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=OWN_SESSIONS,
        )
        started.append(process)
        return process

    try:
        hops = {}
        for role in ("advance", "notify"):
            process = launch(role, "--fake", fake_url, "--sms-every", str(SMS_EVERY), "--tag", tag)
            await ready(process, role)
            hops[role] = process.pid
        http = None
        if over_http:
            port = free_port()
            accept = launch("accept-http", "--port", str(port), "--sms-every", str(SMS_EVERY))
            await answering(f"http://127.0.0.1:{port}/health", accept)
            synthetic = [{"order_id": str(uuid.uuid4()), "number": str(n)} for n in range(orders)]
            http = (accept, f"http://127.0.0.1:{port}", Cursor.staggered(synthetic))
        async with autovacuum_stand_in(list(urls.values())) as vacuums:
            yield RawPipeline(infra, tag, urls, launch, hops, orders, http)
        print(f"{tag}: {vacuums.describe()}", flush=True)
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                await asyncio.to_thread(process.wait, 20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        for url in urls.values():
            await drop_database(url)
        connection = await aio_pika.connect(infra.amqp_url)
        async with connection:
            channel = await connection.channel()
            for name in queue_names(prefix):
                await channel.queue_delete(name)


async def run_raw(
    infra: Infra,
    fake_url: str,
    rates: list[float],
    seconds: float,
    orders: int,
    prefetch: int,
    over_http: bool = False,
) -> tuple[list[Step], dict[str, Any]]:
    """The raw pipeline at ``rates``; ``over_http``: its ``accept-http`` role, fed by the same
    load driver as Etapa's intake, instead of ``accept``'s own schedule."""
    async with raw_pipeline(infra, fake_url, prefetch, orders, over_http) as raw:
        receipts = Receipts(fake_url)
        done = await raw.run([Step(rate, seconds) for rate in rates], receipts)
        return done, await raw.check(receipts, done)


async def scheduled_steps(
    steps: list[Step], begin: float, sampler: Sampler, receipts: Receipts, raw: RawPipeline
) -> list[Step]:
    """The raw ``accept``'s own schedule, sampled at each step's end (actions counted from
    this call's start: an earlier call's are not this one's)."""
    await asyncio.sleep(max(0.0, begin - time.time()))
    before = await raw.accepted()
    await sampler.start()
    done: list[Step] = []
    edge = begin
    for step in steps:
        step.begin = edge
        edge += step.seconds
        await asyncio.sleep(max(0.0, edge - time.time()))
        step.offered = round(step.rate * step.seconds)
        committed_total = await sampler.close_step(step, receipts, raw.text)
        step.accepted = await raw.accepted(edge) - before - sum(s.accepted for s in done)
        step.lag = await raw.accepted() - before - committed_total
        done.append(step)
        print(f"  {describe(step)}", flush=True)
        if not step.sustained:
            break
    return done


async def answering(url: str, process: subprocess.Popen[bytes]) -> None:
    """Until ``url`` answers (the raw HTTP role has bound its port)."""
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError("raw accept-http did not start (see its log)")
            with contextlib.suppress(httpx.TransportError):
                await client.get(url)
                return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"raw accept-http never answered at {url}")


async def ready(process: subprocess.Popen[bytes], role: str) -> str:
    """Until ``process`` prints ``ready`` (its log lines come first); what follows the word."""
    assert process.stdout is not None
    while True:
        line = (await asyncio.to_thread(process.stdout.readline)).decode()
        if not line:
            raise RuntimeError(f"raw {role} did not start (see its log)")
        if line.startswith("ready"):
            return line.removeprefix("ready").strip()


def raw_text(tag: str) -> re.Pattern[str]:
    """A raw pipeline's SMS at the fake provider: ``<tag> <sent_at> <order> <position>`` (the
    ``rawh`` pipeline's texts are not the ``raw`` one's)."""
    return re.compile(rf"{tag} (\S+) (\S+) (\d+)")


def raw_key(match: re.Match[str]) -> tuple[str, int]:
    return match.group(2), int(match.group(3))


async def raw_sent(advance_db: str) -> dict[Any, float]:
    """(order, position) → the action's scheduled time, for every SMS stage the raw pipeline
    reached: read back from its outbox (the sent time travels in the payload)."""
    conn = await asyncpg.connect(advance_db)
    try:
        rows = await conn.fetch("SELECT payload FROM outbox")
    finally:
        await conn.close()
    sent = {}
    for row in rows:
        payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        if payload["position"] % SMS_EVERY == 0:
            sent[(payload["order_id"], payload["position"])] = float(payload["sent_at"])
    return sent


# ---------------------------------------------------------------- report


def describe(step: Step) -> str:
    return (
        f"{step.rate:5.0f}/s offered: accepted {step.accepted / step.seconds:6.1f}/s"
        f"  committed {step.committed / step.seconds:6.1f}/s  SMS {step.sms / step.seconds:5.1f}/s"
        f"  backlog: queues {step.queued}, outbox {step.outbox}, uncommitted {step.lag}"
        f"  {'sustained' if step.sustained else 'NOT sustained'}"
        f"  (host steal {stolen_share(step.stolen, step.seconds)} of the cores)"
    )


def report(
    name: str, steps: list[Step], summary: dict[str, Any] | None, processes: tuple[str, ...]
) -> None:
    print(f"\n{name}")
    print(
        "  rate/s  accepted/s committed/s  SMS/s   SMS p50    p95    p99 ms"
        "   queued outbox uncommitted   CPU ms/transition (" + " + ".join(processes) + ")"
        "  + rabbitmq, postgres"
    )
    for s in steps:
        per = [1000 * s.cpu.get(p, 0.0) / max(1, s.committed) for p in processes]
        infra = [1000 * s.cpu.get(p, 0.0) / max(1, s.committed) for p in ("rabbitmq", "postgres")]
        ms = [1000 * percentile(s.latencies, q) for q in (0.5, 0.95, 0.99)]
        print(
            f"  {s.rate:6.0f}  {s.accepted / s.seconds:10.1f} {s.committed / s.seconds:11.1f}"
            f" {s.sms / s.seconds:6.1f}  {ms[0]:7.0f} {ms[1]:6.0f} {ms[2]:6.0f}"
            f"   {s.queued:6d} {s.outbox:6d} {s.lag:11d}"
            f"   {sum(per):5.1f} ({' + '.join(f'{p:.1f}' for p in per)})"
            f"  + {infra[0]:.1f}, {infra[1]:.1f}"
            f"  {'' if s.sustained else 'NOT sustained'}"
            f"  steal {stolen_share(s.stolen, s.seconds)}"
            + (
                f"  (driver {1000 * s.cpu['driver'] / max(1, s.offered):.1f} ms/action)"
                if "driver" in s.cpu
                else ""
            )
        )
        for line in s.handling:
            print(f"          {line}")
    if summary is not None:
        print(describe_sms(summary))


def describe_sms(summary: dict[str, Any]) -> str:
    return (
        f"  SMS due {summary['expected']}, delivered {summary['delivered']}"
        f" (missing when the wait ended: {summary['expected'] - summary['delivered']}),"
        f" repeated requests for one SMS {summary['repeated']}"
        + (
            f"; {summary['left_out']} SMS of {summary['unsure_orders']} orders with an advance"
            " refused or unanswered not counted"
            if summary.get("unsure_orders")
            else ""
        )
    )


def orders_for(advances: float) -> int:
    """Orders enough for ``advances`` round-robin, each at most ``STAGES - 1`` stages on
    (staggering included)."""
    return max(20, math.ceil(advances / (STAGES - SMS_EVERY - 1)))


def ratio(value: float, raw: float) -> str:
    return f"{value / raw:.2f}" if raw else "—"


def machine_ms(step: Step) -> float:
    """CPU ms per committed transition in every process the step ran on: the pipeline's own,
    RabbitMQ, PostgreSQL and, when it has one, the load driver."""
    return 1000 * sum(step.cpu.values()) / max(1, step.committed)


def cpu_ratio_lines(etapa: list[Step], raw: list[Step], raw_http: list[Step]) -> list[str]:
    """At each rate both kept up: the machine's CPU per transition, and raw's over Etapa's —
    the ratio of max rates on a machine whose cores they fill, less exposed to the host's
    speed changing between the pipelines' steps than the max rates themselves (it still moves)."""
    kept = {s.rate: s for s in raw if s.sustained}
    over_http = {s.rate: s for s in raw_http if s.sustained}
    lines = []
    for step in etapa:
        if step.sustained and step.rate in kept:
            mine, theirs = machine_ms(step), machine_ms(kept[step.rate])
            extra = (
                f"; raw over HTTP {machine_ms(over_http[step.rate]):.1f} ms"
                if step.rate in over_http
                else ""
            )
            lines.append(
                f"  at {step.rate:.0f}/s, CPU per transition in all processes: Etapa {mine:.1f} ms,"
                f" raw {theirs:.1f} ms → {ratio(theirs, mine)} x{extra}"
            )
    return ["machine CPU per transition (raw / Etapa):", *lines] if lines else []


def max_sustained(steps: list[Step]) -> float:
    return max((s.committed / s.seconds for s in steps if s.sustained), default=0.0)


@contextlib.asynccontextmanager
async def fake_provider(infra: Infra, latency: float) -> AsyncIterator[str]:
    """The fake provider in a process of its own, answering; its URL."""
    fake_port = free_port()
    fake_log = (LOGS / f"etapa-bench-e2e-{infra.run_id}-fake.log").open("wb")
    fake = subprocess.Popen(  # noqa: ASYNC220 - once, before the clock
        [sys.executable, "-m", "tests.bench.e2e_fake", str(fake_port), str(latency)],
        stdout=fake_log,
        stderr=subprocess.STDOUT,
    )
    fake_url = f"http://127.0.0.1:{fake_port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                with contextlib.suppress(httpx.TransportError):
                    await client.get(f"{fake_url}/_receipts")
                    break
                await asyncio.sleep(0.1)
        yield fake_url
    finally:
        fake.terminate()
        fake.wait(timeout=20)
        fake_log.close()


def interpreter() -> str:
    """The Python every process of the run is started with (``sys.executable``), and whether
    it carries the interpreter itself or loads ``libpython`` as a shared library: figures taken
    on two interpreters do not compare (docs/throughput-journal.md, "The interpreter")."""
    maps = Path("/proc/self/maps")
    shared = maps.exists() and "libpython" in maps.read_text()
    linked = "libpython shared" if shared else "libpython in the executable"
    python = f"Python {sys.version.split()[0]} ({os.path.realpath(sys.executable)}, {linked})"
    return f"{python}; {host_cpu()}; {sessions()}"


def sessions() -> str:
    """Whether the processes run in sessions of their own (``OWN_SESSIONS``), and whether the
    kernel shares the cores between sessions first (autogroup)."""
    path = Path("/proc/sys/kernel/sched_autogroup_enabled")
    autogroup = "on" if path.exists() and path.read_text().strip() == "1" else "off"
    where = "a session per process" if OWN_SESSIONS else "one session for all processes"
    return f"{where}, autogroup {autogroup}"


def process_names(processes: Processes) -> tuple[str, ...]:
    """The CPU columns: ``intake, workflow, workflow-2…, notifier…``."""
    return (
        "intake",
        *(process_name("workflow", n) for n in range(1, processes.workflows + 1)),
        *(process_name("notifier", n) for n in range(1, processes.notifiers + 1)),
    )


async def main(
    rates: list[float],
    seconds: float,
    orders: int,
    latency: float,
    prefetch: int,
    processes: Processes,
    drain: int,
    with_http: bool = False,
) -> None:
    infra = Infra(POSTGRES, AMQP)
    try:
        async with fake_provider(infra, latency) as fake_url:
            print(interpreter())
            print(
                f"Etapa (intake → workflow → notifier → fake provider, {latency * 1000:.0f} ms;"
                f" {processes.workflows} workflow, {processes.notifiers} notifier processes)"
            )
            etapa, etapa_summary, drained = await run_etapa(
                infra, fake_url, rates, seconds, orders, processes, drain
            )
            print(f"raw pipeline (aio-pika + asyncpg, prefetch {prefetch})")
            raw, raw_summary = await run_raw(infra, fake_url, rates, seconds, orders, prefetch)
            raw_http: list[Step] = []
            if with_http:
                print(f"raw pipeline, accept over HTTP (uvicorn, bare ASGI; prefetch {prefetch})")
                raw_http, raw_http_summary = await run_raw(
                    infra, fake_url, rates, seconds, orders, prefetch, over_http=True
                )
    finally:
        await _cleanup(infra)
    report("Etapa", etapa, etapa_summary, process_names(processes))
    if drained is not None:
        print(f"  {describe_drain(drained, process_names(processes))}")
    report("raw pipeline", raw, raw_summary, RAW_ROLES)
    if raw_http:
        report("raw pipeline, accept over HTTP", raw_http, raw_http_summary, RAW_ROLES)
    best, best_raw = max_sustained(etapa), max_sustained(raw)
    print(
        f"\nmax sustained: Etapa {best:.0f} transitions/s, raw {best_raw:.0f}/s"
        f" → {ratio(best, best_raw)} x raw  (steps of {seconds:.0f} s; the highest step that"
        f" kept up; load average {os.getloadavg()[0]:.1f})"
    )
    if raw_http:
        best_http = max_sustained(raw_http)
        print(
            f"raw with its accept over HTTP: {best_http:.0f}/s → Etapa {ratio(best, best_http)} x"
            f" that; the HTTP hop alone takes the raw pipeline to {ratio(best_http, best_raw)} x"
        )
    for line in cpu_ratio_lines(etapa, raw, raw_http):
        print(line)
    for name, steps in (("Etapa", etapa), ("raw", raw), ("raw over HTTP", raw_http)):
        over = next((s for s in steps if not s.sustained), None)
        if over is not None:
            print(
                f"{name} at {over.rate:.0f}/s offered (did not keep up):"
                f" {over.committed / over.seconds:.1f} committed/s"
            )


def pipeline_arguments(description: str, rates: str, raw_prefetch: int) -> argparse.ArgumentParser:
    """The options ``bench_e2e`` and ``bench_interleaved`` share: rates, step, provider's
    latency, the raw pipeline's prefetch and ``--raw-http``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rates", default=rates)
    parser.add_argument("--step", type=float, default=20, help="seconds per rate")
    parser.add_argument("--latency", type=float, default=0.02, help="fake provider's seconds")
    parser.add_argument("--raw-prefetch", type=int, default=raw_prefetch)
    parser.add_argument(
        "--raw-http",
        action="store_true",
        help="a third pipeline: the raw one with its accept behind HTTP, fed by the same driver",
    )
    return parser


if __name__ == "__main__":
    parser = pipeline_arguments(__doc__.splitlines()[0], "25,50,100,200,400", 20)
    parser.add_argument(
        "--workflows", type=int, default=int(os.environ.get("BENCH_WORKFLOWS", "1"))
    )
    parser.add_argument(
        "--notifiers", type=int, default=int(os.environ.get("BENCH_NOTIFIERS", "1"))
    )
    parser.add_argument(
        "--drain",
        type=int,
        default=int(os.environ.get("BENCH_DRAIN", "0")),
        help="after the steps, advances queued while workflow is paused, then drained (0: none)",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    advances = sum(rate * args.step for rate in rates) + args.drain
    uvloop.run(  # the load driver's loop, as the services'
        main(
            rates,
            args.step,
            orders_for(advances),
            args.latency,
            args.raw_prefetch,
            Processes(args.workflows, args.notifiers),
            args.drain,
            args.raw_http,
        )
    )
