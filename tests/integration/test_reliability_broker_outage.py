"""With RabbitMQ down, intake keeps taking orders and actions; they reach consumers afterwards.

The outage is real, on a throwaway RabbitMQ node of this module's own (``tests.own_broker``: its
own node name, free ports and a data directory under /tmp): the module's services and probes use
that node, and the test stops and starts only it (``rabbitmqctl -n <node> stop_app`` /
``start_app``). The shared broker on 5672, which other suites use at the same time, is never
stopped. The node is stopped and removed at the end of the module, whatever happens.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.infra import Infra
from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually, lab_time, wait_until_ready
from tests.integration.probe import Probe, Seen, publish_lab_message
from tests.own_broker import OwnRabbitMQ, own_rabbitmq

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def own_node() -> AsyncIterator[OwnRabbitMQ]:
    async with own_rabbitmq("etapa-outage") as node:
        yield node


@pytest.fixture(scope="module")
async def services(infra: Infra, own_node: OwnRabbitMQ) -> AsyncIterator[RunningServices]:
    """This module's services (and, through ``chain``, its chains), on the module's own node;
    their databases are the run's (suffix ``outage``), dropped with the others."""
    running = RunningServices(
        env=infra.service_env(
            "outage",
            ETAPA_AMQP_URL=own_node.amqp_url,
            NOTIFIER_DISPATCH_INTERVAL="0.1",
            WORKFLOW_RISK_SWEEP_INTERVAL="0.2",
            NOTIFIER_SENDING_HOURS="always",
        )
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def _unpublished(services: RunningServices, chain_id: str) -> int:
    conn = await asyncpg.connect(services.env["INTAKE_DATABASE_URL"])
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE chain_id = $1 AND published_at IS NULL "
            "AND routing_key IN ('order.opened.v1', 'order.action.v1')",
            uuid.UUID(chain_id),
        )
        return count
    finally:
        await conn.close()


async def test_orders_and_actions_made_while_the_broker_is_down_arrive_in_order_once(
    services: RunningServices, own_node: OwnRabbitMQ, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake = services.urls["intake"]
    assert services.env["ETAPA_AMQP_URL"] == own_node.amqp_url
    probe = await Probe.bind(services.env, "order.opened.v1", "order.action.v1")
    expected: list[tuple[str, str]] = []
    try:
        await own_node.stop_app()
        try:
            for n in range(3):
                opened = await http.post(
                    f"{intake}/api/v1/orders",
                    json=order_body(chain.branch["branch_id"]),
                    headers=chain.headers,
                )
                assert opened.status_code == 201, opened.text
                order_id = opened.json()["order_id"]
                expected.append(("order.opened.v1", order_id))
                for body in ({"action": "advance"}, {"action": "note", "note": f"nota {n}"}):
                    acted = await http.post(
                        f"{intake}/api/v1/orders/{order_id}/actions",
                        json=body,
                        headers=chain.headers,
                    )
                    assert acted.status_code == 202, acted.text
                    expected.append(("order.action.v1", acted.json()["action_id"]))
            assert await _unpublished(services, chain.chain_id) == len(expected)
        finally:
            await own_node.start_app()
        async with httpx.AsyncClient() as client:
            await wait_until_ready(client, intake, timeout=45)

        def ours(seen: Seen) -> bool:
            return seen.payload.get("chain_id") == chain.chain_id

        seen = await probe.drain(len(expected), timeout=45, settle=2.0, where=ours)
    finally:
        await probe.delete()

    def identity(item: Seen) -> tuple[str, str]:
        if item.routing_key == "order.opened.v1":
            return (item.routing_key, item.payload["order_id"])
        return (item.routing_key, item.message_id)

    assert [identity(s) for s in seen] == expected  # all of them, in order, none twice
    assert await _unpublished(services, chain.chain_id) == 0


async def test_the_lab_queue_is_consumed_again_after_a_broker_restart(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """Runs after the outage above (same module, same node): the lab consumer has reconnected."""
    code = f"L{uuid.uuid4().hex[:8].upper()}"
    created = await http.post(
        f"{services.urls['intake']}/api/v1/labs",
        json={"code": code, "name": "Lab"},
        headers=chain.headers,
    )
    assert created.status_code == 201
    message_id = uuid.uuid4().hex
    body = {
        "message_id": message_id,
        "lab_code": code,
        "order_number": "NAO-000001",
        "status": "received",
        "occurred_at": lab_time(hours=-2),
    }
    await publish_lab_message(services.env, f"lab.{code}.status", body)

    async def stored() -> object:
        response = await http.get(
            f"{services.urls['intake']}/api/v1/lab-updates", headers=chain.headers
        )
        return [m for m in response.json()["items"] if m["message_id"] == message_id]

    assert (await eventually(stored, timeout=30))[0]["status"] == "rejected"
