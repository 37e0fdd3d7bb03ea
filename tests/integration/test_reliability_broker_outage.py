"""With RabbitMQ stopped, intake keeps taking orders and actions; they reach consumers afterwards.

This test stops and restarts the real broker (``rabbitmqctl stop_app`` / ``start_app``), always
restarting it in ``finally`` and waiting until it answers, so later tests find it up.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid

import asyncpg
import httpx
import pytest

from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually, lab_time, wait_until_ready
from tests.integration.probe import Probe, Seen, publish_lab_message

pytestmark = pytest.mark.integration


async def _rabbitmqctl(*args: str, timeout: float = 90) -> None:
    executable = shutil.which("rabbitmqctl")
    assert executable, "rabbitmqctl is needed to stop and start the local broker"
    process = await asyncio.create_subprocess_exec(
        executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, f"rabbitmqctl {' '.join(args)}: {out!r} {err!r}"


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
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake = services.urls["intake"]
    probe = await Probe.bind(services.env, "order.opened.v1", "order.action.v1")
    expected: list[tuple[str, str]] = []
    try:
        await _rabbitmqctl("stop_app")
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
            await _rabbitmqctl("start_app")
            await _rabbitmqctl("await_startup")
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
    """Runs after the outage above (same session): the lab consumer has reconnected."""
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
