"""The chaos suite's workload: a chain, a three-stage flow and orders at a steady pace, each
driven through its actions by a patient client (it retries a 5xx or a lost connection with the
same ``Idempotency-Key``, as the counter does, until its deadline).

The client never lets a request wait in httpx's connection pool: at most ``connections``
requests are in flight (a semaphore of the workload's own), so each finds a connection free.
A request that waits in the pool is a hazard of httpcore 1.0.x under load: when its pool
timeout expires in the same loop iteration in which the pool hands it a *fresh* connection, the
request fails with ``PoolTimeout`` and the fresh connection stays in the pool for ever, not yet
connected, holding a slot; once every slot is gone every request fails with ``PoolTimeout``.
Hundreds of orders retrying through a 150 s database outage, 60 connections among ~300 waiting
requests on a busy loop, are where that race is likely: it is the cause we found for a run whose
client stopped sending while the services were consistent (that run kept no client-side
evidence; ``tests/unit/test_chaos_workload.py`` shows the leak and that the workload avoids it).

Every order ends in ``pronto`` at stage entry 5 with SMS at entries 1, 3 and 5 (``pronto`` texts
on re-entry), whatever its kind:

- ``plain``: advance, advance, back, advance (the fault-injection campaign's workload);
- ``paused``: advance, pause, resume, advance, back, advance;
- ``lab``: plain, then a lab status (``in_production``, mapped to ``producao``: a lab never moves
  an order backwards, so it reaches only the timeline) over HTTP with the lab's key;
- ``double_click``: the order's version read from workflow, then 8 parallel ``advance`` with
  ``If-Match`` of that version and 8 different keys (one applies), then advance, back, advance.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import httpx

from tests.infra import OPERATOR_KEY

Kind = Literal["plain", "paused", "lab", "double_click"]
EXPECTED_ENTRIES = (1, 3, 5)
EXPECTED_PLACE = ("in_progress", "pronto", 5)
CLICKS = 8
FLOW = {
    "code": "caos",
    "name": "Caos",
    "stages": [
        {"key": "recebido", "name": "Recebido", "planned_days": 1,
         "sms_template": "OS {numero_os} recebida."},
        {"key": "producao", "name": "Produção", "planned_days": 2,
         "lab_statuses": ["in_production"]},
        {"key": "pronto", "name": "Pronto", "planned_days": 0,
         "sms_template": "OS {numero_os} pronta.", "sms_on_reentry": True},
    ],
}  # fmt: skip
PLAIN: list[dict[str, Any]] = [
    {"action": "advance"},
    {"action": "advance"},
    {"action": "back", "reason": "lente riscada"},
    {"action": "advance"},
]
PAUSED: list[dict[str, Any]] = [
    {"action": "advance"},
    {"action": "pause", "reason": "cliente pediu para aguardar"},
    {"action": "resume"},
    {"action": "advance"},
    {"action": "back", "reason": "lente riscada"},
    {"action": "advance"},
]


class GaveUp(RuntimeError):
    """A request still failed at its deadline (the message has its last answer)."""


@dataclass
class Order:
    index: int
    kind: Kind
    order_id: str | None = None
    number: str | None = None
    done: bool = False
    error: str | None = None
    clicks_applied: int = 0


@dataclass
class Mix:
    """Shares of each kind (the rest is ``plain``) and the lab's clock skew; faults change it."""

    paused: float = 0.15
    lab: float = 0.15
    double_click: float = 0.05
    lab_skews: tuple[timedelta, ...] = (timedelta(minutes=-1),)

    def pick(self, rng: random.Random) -> Kind:
        draw = rng.random()
        for kind, share in (
            ("paused", self.paused),
            ("lab", self.lab),
            ("double_click", self.double_click),
        ):
            if draw < share:
                return kind  # type: ignore[return-value]
            draw -= share
        return "plain"


@dataclass
class Workload:
    intake: str
    workflow: str
    deadline: float
    """Seconds a request is retried before the order counts as not accepted."""
    seed: int
    mix: Mix = field(default_factory=Mix)
    orders: list[Order] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    lab_rejected: int = 0
    transport_errors: Counter[str] = field(default_factory=Counter)
    """Requests that got no answer, by httpx's exception (``ReadTimeout``, ``PoolTimeout``…)."""
    auth: dict[str, str] = field(default_factory=dict)
    branch_id: str = ""
    lab_code: str = ""
    lab_key: str = ""
    warm_order_id: str | None = None
    connections: int = 60
    """Requests in flight at most, and the connection pool's size."""
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(10.0))
    """One attempt's connect, read, write and pool timeouts."""
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.http = httpx.AsyncClient(
            timeout=self.timeout,
            limits=httpx.Limits(
                max_connections=self.connections,
                max_keepalive_connections=self.connections,
            ),
        )
        self._in_flight = asyncio.Semaphore(self.connections)

    async def close(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        ok: tuple[int, ...] = (200, 201, 202),
        final: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """Until an answer in ``ok`` or ``final``; 5xx, 429 and lost connections are retried."""
        give_up = time.monotonic() + self.deadline
        last = "no answer"
        while True:
            try:
                async with self._in_flight:  # never queue in httpx's pool (see the module)
                    response = await self.http.request(method, url, **kwargs)
                self.statuses[response.status_code] += 1
                if response.status_code in ok or response.status_code in final:
                    return response
                last = f"{response.status_code} {response.text[:200]}"
                if response.status_code < 500 and response.status_code != 429:
                    raise GaveUp(f"{method} {url}: {last}")
            except httpx.TransportError as exc:
                self.statuses[0] += 1
                self.transport_errors[type(exc).__name__] += 1
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > give_up:
                raise GaveUp(f"{method} {url} after {self.deadline} s: {last}")
            await asyncio.sleep(0.5 + self.rng.random())

    async def set_up(self, tag: str) -> None:
        """A chain, a branch, the flow and a lab with a key; waits until intake knows the flow."""
        admin = {"email": f"caos-{tag}@rede.example", "password": "senha-9876-ok"}
        created = await self.request(
            "POST",
            f"{self.intake}/api/v1/chains",
            headers={"X-Operator-Key": OPERATOR_KEY},
            json={"name": f"Rede Caos {tag}", "admin": {**admin, "name": "TI"}},
        )
        assert created.status_code == 201, created.text
        token = (await self.request("POST", f"{self.intake}/api/v1/auth/token", json=admin)).json()
        self.auth = {"Authorization": f"Bearer {token['access_token']}"}
        branch = await self.request(
            "POST",
            f"{self.intake}/api/v1/branches",
            headers=self.auth,
            json={"code": "CAOS1", "name": "Ótica Caos", "state": "SP", "city": "São Paulo",
                  "timezone": "America/Sao_Paulo"},
        )  # fmt: skip
        self.branch_id = branch.json()["branch_id"]
        await self.request(
            "POST", f"{self.workflow}/api/v1/service-types/", headers=self.auth, json=FLOW
        )
        self.lab_code = f"LC{uuid.uuid4().hex[:6].upper()}"
        lab = await self.request(
            "POST",
            f"{self.intake}/api/v1/labs",
            headers=self.auth,
            json={"code": self.lab_code, "name": "Lab Caos"},
        )
        key = await self.request(
            "POST",
            f"{self.intake}/api/v1/labs/{lab.json()['lab_id']}/keys",
            headers=self.auth,
            json={"label": "caos"},
        )
        self.lab_key = key.json()["key"]
        # Intake accepts the type once workflow's service_type.published.v1 reached it.
        warm = Order(-1, "plain")
        await self._open(warm)
        self.warm_order_id = warm.order_id

    def phone(self, index: int) -> str:
        return f"+5511{970000000 + index}"

    async def _open(self, order: Order) -> None:
        body: dict[str, Any] = {
            "branch_id": self.branch_id,
            "service_type": FLOW["code"],
            "customer": {
                "name": f"Cliente {order.index}",
                "phone": self.phone(order.index + 1),
                "sms_consent": True,
            },
        }
        if order.kind == "lab":
            body["lab_code"] = self.lab_code
        key = f"open-{self.seed}-{order.index}"
        headers = {**self.auth, "Idempotency-Key": key}
        response = await self.request(
            "POST", f"{self.intake}/api/v1/orders", headers=headers, json=body
        )
        order.order_id, order.number = response.json()["order_id"], response.json()["number"]

    async def _act(self, order: Order, step: int, action: dict[str, Any], **headers: str) -> None:
        key = f"act-{self.seed}-{order.index}-{step}"
        await self.request(
            "POST",
            f"{self.intake}/api/v1/orders/{order.order_id}/actions",
            headers={**self.auth, "Idempotency-Key": key, **headers},
            json=action,
        )

    async def workflow_order(self, order_id: str) -> dict[str, Any]:
        response = await self.request(
            "GET", f"{self.workflow}/api/v1/orders/{order_id}", headers=self.auth, final=(404,)
        )
        found: dict[str, Any] = response.json() if response.status_code == 200 else {}
        return found

    async def _double_click(self, order: Order) -> None:
        give_up = time.monotonic() + self.deadline
        while not (seen := await self.workflow_order(str(order.order_id))):
            if time.monotonic() > give_up:
                raise GaveUp(f"order {order.order_id} never reached workflow")
            await asyncio.sleep(0.3)
        version = str(seen["version"])
        await asyncio.gather(
            *(
                self._act(order, 100 + click, {"action": "advance"}, **{"If-Match": f'"{version}"'})
                for click in range(CLICKS)
            )
        )

    async def _lab_status(self, order: Order) -> None:
        skew = self.rng.choice(self.mix.lab_skews)
        moment = datetime.now(UTC) + skew
        body = {
            "message_id": uuid.uuid4().hex,
            "lab_code": self.lab_code,
            "order_number": order.number,
            "status": "in_production",
            "occurred_at": moment.astimezone(timezone(timedelta(hours=-3))).isoformat(),
        }
        response = await self.request(
            "POST",
            f"{self.intake}/api/v1/lab-updates",
            headers={"X-Lab-Key": self.lab_key},
            json=body,
            final=(400, 422),
        )
        if response.status_code in (400, 422):  # a lab time outside intake's window
            self.lab_rejected += 1

    async def _drive(self, order: Order) -> None:
        try:
            await self._open(order)
            if order.kind == "double_click":
                await self._double_click(order)
                steps = PLAIN[1:]
            else:
                steps = PAUSED if order.kind == "paused" else PLAIN
            for step, action in enumerate(steps):
                await self._act(order, step, action)
            if order.kind == "lab":
                await self._lab_status(order)
            order.done = True
        except GaveUp as exc:
            order.error = str(exc)

    async def run(self, stop: asyncio.Event, rate: float) -> None:
        """Open ``rate`` orders a second until ``stop``; each is driven by a task of its own."""
        started = time.monotonic()
        while not stop.is_set():
            due = started + len(self.orders) / rate
            if time.monotonic() >= due:
                order = Order(len(self.orders), self.mix.pick(self.rng))
                self.orders.append(order)
                task = asyncio.create_task(self._drive(order))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                await asyncio.sleep(min(0.05, due - time.monotonic()))

    def progress(self) -> str:
        """A line on where the load is, for a run that takes long to finish."""
        done = sum(o.done for o in self.orders)
        failed = sum(o.error is not None for o in self.orders)
        errors = ", ".join(f"{k} {n}" for k, n in self.transport_errors.most_common()) or "none"
        answers = ", ".join(f"{k}: {n}" for k, n in sorted(self.statuses.items()) if k)
        return (
            f"{len(self.orders)} orders: {done} done, {failed} gave up, "
            f"{len(self.orders) - done - failed} under way; answers {answers}; "
            f"no answer: {errors}"
        )

    async def finish(self, report_every: float = 30.0) -> None:
        """Until every order's requests were answered or gave up; says how far it is every
        ``report_every`` seconds meanwhile."""
        while self._tasks:
            done, pending = await asyncio.wait(list(self._tasks), timeout=report_every)
            for task in done:
                task.result()  # a bug in the workload fails the run here
            if pending:
                print(f"  still finishing: {self.progress()}", flush=True)
