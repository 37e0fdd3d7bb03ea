"""Etapa on a three-node RabbitMQ cluster: the node that leads the queues dies under load, and
every opened order's SMS still reaches the provider exactly once.

``make test-cluster``. Three nodes of the test's own (``tests.cluster.cluster``), the services as
processes (``python -m <service> serve``) connected through one failover address, the SMS
provider a recording fake over real HTTP. All connections go to the first node first, so it
declares, and leads, every quorum queue; the test checks each queue has a member on all three
nodes, opens orders at a steady pace, SIGKILLs that node a third of the way through, and opens
the rest. Then each order must have exactly one SMS delivery at the provider: none lost (a
publish confirmed by the dead leader was already on a majority), none doubled (redeliveries
after the crash are dropped by the consumers' inboxes and the notifier's per-stage-entry
record). The figures are printed (deploy/README.md quotes them).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.cluster.cluster import FailoverFront, RabbitCluster, rabbitmq_cluster
from tests.fakes.sms_provider import FakeSmsProvider
from tests.infra import OPERATOR_KEY, Infra
from tests.integration.harness import eventually, wait_until_ready
from tests.processes import running_services

pytestmark = pytest.mark.cluster

ORDERS = 300
KILL_AFTER = ORDERS // 3
PACE = 0.1  # seconds between orders (per worker): about 8 s of load
WORKERS = 4
FLOW = {
    "code": "reparo",
    "name": "Reparo",
    "stages": [
        {"key": "recebido", "name": "Recebido", "planned_days": 1,
         "sms_template": "OS {numero_os} recebida."},
        {"key": "pronto", "name": "Pronto", "planned_days": 0},
    ],
}  # fmt: skip
BACKENDS = ("intake", "workflow", "notifier")


def phone(index: int) -> str:
    return f"+5511{960000000 + index}"


async def _chain(http: httpx.AsyncClient, urls: dict[str, str]) -> tuple[dict[str, str], str]:
    admin = {"email": f"cluster-{uuid.uuid4().hex[:6]}@rede.example", "password": "senha-9876-ok"}
    created = await http.post(
        f"{urls['intake']}/api/v1/chains",
        headers={"X-Operator-Key": OPERATOR_KEY},
        json={"name": "Rede Cluster", "admin": {**admin, "name": "TI"}},
    )
    assert created.status_code == 201, created.text
    token = (await http.post(f"{urls['intake']}/api/v1/auth/token", json=admin)).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    branch = await http.post(
        f"{urls['intake']}/api/v1/branches",
        headers=auth,
        json={"code": "CLU01", "name": "Ótica Cluster", "state": "SP", "city": "São Paulo",
              "timezone": "America/Sao_Paulo"},
    )  # fmt: skip
    assert branch.status_code == 201, branch.text
    flow = await http.post(f"{urls['workflow']}/api/v1/service-types/", headers=auth, json=FLOW)
    assert flow.status_code == 201, flow.text
    return auth, branch.json()["branch_id"]


async def _open(
    http: httpx.AsyncClient, intake: str, auth: dict[str, str], branch_id: str, index: int
) -> dict[str, Any]:
    customer = {"name": f"Cliente {index}", "phone": phone(index), "sms_consent": True}
    body = {"branch_id": branch_id, "service_type": "reparo", "customer": customer}
    key = f"cluster-{index}"
    deadline = time.monotonic() + 60
    while True:  # the counter retries with the same key until intake answers 201
        response = await http.post(
            f"{intake}/api/v1/orders", headers={**auth, "Idempotency-Key": key}, json=body
        )
        if response.status_code == 201:
            order: dict[str, Any] = response.json()
            return order
        if time.monotonic() > deadline:
            raise AssertionError(f"order {index}: {response.status_code} {response.text}")
        await asyncio.sleep(0.2)


async def _all_ready(http: httpx.AsyncClient, urls: dict[str, str]) -> bool:
    for service in BACKENDS:
        try:
            if (await http.get(f"{urls[service]}/ready")).status_code != 200:
                return False
        except httpx.TransportError:
            return False
    return True


async def test_killing_the_queue_leader_loses_and_doubles_no_sms(infra: Infra) -> None:
    fake = FakeSmsProvider()
    await fake.start()
    async with rabbitmq_cluster(3) as cluster:
        front = FailoverFront([node.port for node in cluster.nodes])
        await front.start()
        try:
            await _run(infra, cluster, front, fake)
        finally:
            await front.stop()
            await fake.stop()


async def _run(
    infra: Infra, cluster: RabbitCluster, front: FailoverFront, fake: FakeSmsProvider
) -> None:
    first = cluster.nodes[0]
    extra = {
        "ETAPA_AMQP_URL": front.url(),
        "ETAPA_DELIVERY_LIMIT": "20",
        "NOTIFIER_SMS_PROVIDER": "http",
        "NOTIFIER_HTTP_URL": f"{fake.url}/sms",
        "NOTIFIER_SENDING_HOURS": "always",
        "NOTIFIER_DISPATCH_INTERVAL": "0.1",
    }
    with running_services(
        infra, "cluster", BACKENDS, demo=False, own_sessions=False, **extra
    ) as urls:
        async with httpx.AsyncClient(timeout=30) as http:
            for service in BACKENDS:
                await wait_until_ready(http, urls[service], timeout=90)
            auth, branch_id = await _chain(http, urls)
            # Once this opens, intake has learnt the service type: the load can start.
            await _open(http, urls["intake"], auth, branch_id, 0)

            queues = await cluster.quorum_queues(first)
            etapa = {name: v for name, v in queues.items() if name.startswith(infra.prefix)}
            assert len(etapa) >= 20, etapa
            for name, (leader, members) in etapa.items():
                assert members == sorted(cluster.names), f"{name} is not on all three: {members}"
                assert leader == first.name, f"{name} is led by {leader}, not the first node"

            opened: list[dict[str, Any]] = []
            killed_at = 0.0
            sent_before_kill = 0
            next_index = iter(range(1, ORDERS + 1))

            async def worker() -> None:
                nonlocal killed_at, sent_before_kill
                for index in next_index:
                    opened.append(await _open(http, urls["intake"], auth, branch_id, index))
                    if index == KILL_AFTER:
                        cluster.kill(first)
                        killed_at = time.monotonic()
                        sent_before_kill = len(fake.requests)
                    await asyncio.sleep(PACE)

            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(WORKERS)))
            load_time = time.monotonic() - started
            assert killed_at, "the leader was never killed"

            ready_again = await eventually(
                lambda: _all_ready(http, urls), timeout=120, interval=0.2
            )
            assert ready_again
            recovered = time.monotonic() - killed_at
            expected = {phone(index).lstrip("+") for index in range(ORDERS + 1)}

            def delivered() -> Counter[str]:
                """Distinct deliveries (idempotency keys) per phone number."""
                keys_by_phone: dict[str, set[str]] = {}
                for request in fake.requests:
                    if request.status == 200 and request.to and request.key:
                        to = str(request.to).lstrip("+")
                        keys_by_phone.setdefault(to, set()).add(request.key)
                return Counter({to: len(keys) for to, keys in keys_by_phone.items()})

            async def all_delivered() -> bool:
                return set(delivered()) >= expected

            await eventually(all_delivered, timeout=180, interval=0.5)
            drained = time.monotonic() - killed_at
            await asyncio.sleep(3)  # anything still to come twice would come now
            counts = delivered()
            after = await cluster.quorum_queues(cluster.nodes[1])
            new_leaders = {
                leader for name, (leader, _) in after.items() if name.startswith(infra.prefix)
            }

    assert len(opened) == ORDERS
    lost = sorted(expected - set(counts))
    doubled = {p: n for p, n in counts.items() if n > 1}
    print(
        f"\ncluster failover: {ORDERS + 1} orders ({ORDERS} under load, {load_time:.1f} s), "
        f"leader {first.name} killed after order {KILL_AFTER} ({sent_before_kill} SMS sent by "
        f"then, {ORDERS + 1 - sent_before_kill} still to send); services ready again "
        f"{recovered:.1f} s later; every SMS delivered {drained:.1f} s after the kill; "
        f"provider requests {len(fake.requests)}, deliveries {sum(counts.values())}; "
        f"lost {len(lost)}, doubled {len(doubled)}; new leaders {sorted(new_leaders)}; "
        f"connections per node {front.connections}"
    )
    assert not lost, f"orders without an SMS: {lost[:10]}"
    assert not doubled, f"orders with more than one SMS: {doubled}"
    assert first.name not in new_leaders
