"""The operator's metrics, scraped from the services running as processes (one registry each).

One order goes through: opened at the counter, its first SMS sent, a lab's status by AMQP (once
more, a duplicate) with a forecast past the promised date (the order turns at risk), and a lab
message by HTTP that matches no order (rejected). Each service's ``/metrics`` is read before
and after, and the counters that must have moved did, in the service that counts them (by at
least what this order did: other tests of the session share the processes). Then every
``etapa_`` metric the alert rules and the Grafana dashboard read is in what the services serve.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

import aio_pika
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from etapa_contracts.topology import Topology
from tests.deploy.monitoring import every_expr, metric_names
from tests.infra import OPERATOR_KEY, Infra
from tests.integration.harness import eventually, lab_time, save_test_flow

pytestmark = pytest.mark.e2e

BACKENDS = ("intake", "workflow", "notifier")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def _scrape(http: httpx.AsyncClient, url: str) -> str:
    response = await http.get(f"{url}/metrics")
    assert response.status_code == 200, response.text
    return response.text


def _samples(exposition: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def _served_names(exposition: str) -> set[str]:
    """The names a query can read: every family's samples, also those with no series yet."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    names = set()
    for family in text_string_to_metric_families(exposition):
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def _value(samples: Samples, name: str, /, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _series(samples: Samples, name: str) -> Iterable[dict[str, str]]:
    return (dict(labels) for (sample, labels) in samples if sample == name)


async def _everything(http: httpx.AsyncClient, processes: dict[str, str]) -> dict[str, Samples]:
    return {s: _samples(await _scrape(http, processes[s])) for s in BACKENDS}


async def _chain_with_a_lab(
    http: httpx.AsyncClient, processes: dict[str, str]
) -> tuple[dict[str, str], str, str, str]:
    """A new chain's admin headers, a branch, and a lab (its code and an HTTP key)."""
    intake = processes["intake"]
    admin = {"email": f"m-{uuid.uuid4().hex[:6]}@example.com", "password": "senha-metricas-1"}
    chain = (
        await http.post(
            f"{intake}/api/v1/chains",
            headers={"X-Operator-Key": OPERATOR_KEY},
            json={"name": f"Rede Métricas {uuid.uuid4().hex[:6]}", "admin": {**admin, "name": "M"}},
        )
    ).json()
    token = (await http.post(f"{intake}/api/v1/auth/token", json=admin)).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    branch = await http.post(
        f"{intake}/api/v1/branches",
        headers=auth,
        json={
            "code": "MET01",
            "name": "Ótica das Métricas",
            "state": "SP",
            "city": "São Paulo",
            "timezone": "America/Sao_Paulo",
        },
    )
    assert branch.status_code == 201, branch.text
    code = f"L{uuid.uuid4().hex[:8].upper()}"
    lab = await http.post(f"{intake}/api/v1/labs", json={"code": code, "name": "Lab"}, headers=auth)
    assert lab.status_code == 201, lab.text
    key = await http.post(
        f"{intake}/api/v1/labs/{lab.json()['lab_id']}/keys", json={"label": "ERP"}, headers=auth
    )
    assert key.status_code == 201, key.text
    await save_test_flow(processes["workflow_database"], uuid.UUID(chain["chain_id"]))
    return auth, branch.json()["branch_id"], code, key.json()["key"]


async def _publish_lab_status(topology: Topology, amqp_url: str, code: str, body: bytes) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.lab_exchange)
        for _ in range(2):  # the second is the same message again: a duplicate
            await exchange.publish(
                aio_pika.Message(body, content_type="application/json"),
                routing_key=f"lab.{code}.status",
                mandatory=True,
            )


async def test_one_order_moves_the_counters_of_each_service_and_the_gauges_are_served(
    processes: dict[str, str], http: httpx.AsyncClient, infra: Infra
) -> None:
    auth, branch_id, lab_code, lab_key = await _chain_with_a_lab(http, processes)
    before = await _everything(http, processes)
    intake = processes["intake"]

    promised = date.today() + timedelta(days=30)
    order = await http.post(
        f"{intake}/api/v1/orders",
        json={
            "branch_id": branch_id,
            "service_type": "teste",
            "lab_code": lab_code,
            "customer": {"name": "Ana Lima", "phone": "+55 11 99876-5432", "sms_consent": True},
            "promised_date": promised.isoformat(),
        },
        headers={"Idempotency-Key": str(uuid.uuid4()), **auth},
    )
    assert order.status_code == 201, order.text
    order_id, number = order.json()["order_id"], order.json()["number"]

    async def sms_sent() -> bool:
        response = await http.get(
            f"{processes['notifier']}/api/v1/messages", params={"order_id": order_id}, headers=auth
        )
        items = response.json()["items"]
        return bool(items) and items[0]["status"] == "sent"

    await eventually(sms_sent, timeout=30)

    env = infra.service_env("e2e")
    topology = Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"])
    late = {
        "message_id": uuid.uuid4().hex,
        "lab_code": lab_code,
        "order_number": number,
        "lab_order_number": "55501",
        "status": "in_production",
        "status_raw": "PROD",
        "eta": (promised + timedelta(days=10)).isoformat(),
        "occurred_at": lab_time(minutes=-5),
        "note": None,
    }
    await _publish_lab_status(
        topology, env["ETAPA_AMQP_URL"], lab_code, httpx.Request("POST", "/", json=late).content
    )
    unknown = {**late, "message_id": uuid.uuid4().hex, "order_number": "MET01-999999"}
    rejected = await http.post(
        f"{intake}/api/v1/lab-updates", json=unknown, headers={"X-Lab-Key": lab_key}
    )
    assert rejected.status_code == 422, rejected.text

    async def at_risk() -> bool:
        detail = await http.get(f"{processes['workflow']}/api/v1/orders/{order_id}", headers=auth)
        return bool(detail.json()["risk_level"] == "at_risk")

    await eventually(at_risk, timeout=30)

    lab_consumer = topology.prefix + "intake.lab.status"

    async def lab_counted() -> dict[str, Samples] | None:
        after = await _everything(http, processes)
        moved = _value(
            after["intake"],
            "etapa_messages_handled_total",
            service="intake",
            consumer=lab_consumer,
            outcome="handled",
        ) - _value(
            before["intake"],
            "etapa_messages_handled_total",
            service="intake",
            consumer=lab_consumer,
            outcome="handled",
        )
        return after if moved >= 2 else None

    after = await eventually(lab_counted, timeout=20)

    def moved(where: str, name: str, /, **labels: str) -> float:
        return _value(after[where], name, **labels) - _value(before[where], name, **labels)

    lab = {"service": "intake", "lab": lab_code}
    assert moved("intake", "etapa_lab_messages_total", **lab, outcome="accepted", via="amqp") == 1
    assert moved("intake", "etapa_lab_messages_total", **lab, outcome="duplicate", via="amqp") == 1
    assert moved("intake", "etapa_lab_messages_total", **lab, outcome="rejected", via="http") == 1
    assert moved("intake", "etapa_outbox_published_total", service="intake") >= 2
    # the SMS's "sent" status: one statement at the notifier, published at once, not relayed
    assert moved("notifier", "etapa_outbox_published_directly_total", service="notifier") >= 1
    assert (
        moved(
            "intake",
            "etapa_message_handling_seconds_count",
            service="intake",
            consumer=lab_consumer,
        )
        >= 2
    )

    opened = topology.queue_name("workflow", "order.opened.v1")
    assert (
        moved(
            "workflow",
            "etapa_messages_handled_total",
            service="workflow",
            consumer=opened,
            outcome="handled",
        )
        >= 1
    )
    assert (
        moved(
            "workflow", "etapa_message_handling_seconds_count", service="workflow", consumer=opened
        )
        >= 1
    )
    risk = {"service": "workflow", "from_level": "on_track", "to_level": "at_risk"}
    assert moved("workflow", "etapa_risk_transitions_total", **risk) >= 1

    stage_changed = topology.queue_name("notifier", "order.stage_changed.v1")
    assert (
        moved(
            "notifier",
            "etapa_messages_handled_total",
            service="notifier",
            consumer=stage_changed,
            outcome="handled",
        )
        >= 1
    )
    sent = {"service": "notifier", "status": "sent", "provider": "log"}
    assert moved("notifier", "etapa_sms_messages_total", **sent) >= 1

    for service in BACKENDS:
        # each service counts in its own name only, and reads its own outbox
        for series in _series(after[service], "etapa_messages_handled_total"):
            assert series["service"] == service, series
        assert {"service": service} in list(_series(after[service], "etapa_outbox_backlog"))
        assert _value(after[service], "etapa_outbox_oldest_age_seconds", service=service) >= 0
        assert _value(after[service], "etapa_outbox_sampled_timestamp_seconds", service=service)
        http_series = list(_series(after[service], "etapa_http_requests_total"))
        assert any(s["app_name"] == f"etapa_{service}" for s in http_series)


async def test_every_etapa_metric_the_alerts_and_the_dashboard_read_is_served(
    processes: dict[str, str], http: httpx.AsyncClient
) -> None:
    served = set()
    for service in BACKENDS:
        served |= _served_names(await _scrape(http, processes[service]))
    read = {name for expr in every_expr() for name in metric_names(expr)}
    ours = {name for name in read if name.startswith("etapa_")}
    assert ours
    assert ours <= served, ours - served


async def test_metrics_carry_no_phone_number_or_customer_name(
    processes: dict[str, str], http: httpx.AsyncClient
) -> None:
    for service in BACKENDS:
        text = await _scrape(http, processes[service])
        # a sample's value is a number whose digits may hold anything (0.00121328899876…):
        # the phone is looked for in the names, labels and help texts only
        described = [line.rsplit(" ", 1)[0] for line in text.splitlines()]
        assert not [line for line in described if "99876" in line]  # the phone, in any format
        assert "Ana" not in text
        assert not UUID.search(text)  # no order, chain or message id: bounded labels only
