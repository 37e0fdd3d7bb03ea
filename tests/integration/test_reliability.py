"""Nothing lost, nothing done twice: redelivery, poison messages and unroutable events."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import asyncpg
import httpx
import pytest

from etapa_contracts.topology import Topology
from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices, eventually
from tests.integration.order_engine_kit import opened_event

pytestmark = pytest.mark.integration


async def _publish(
    services: RunningServices, routing_key: str, body: bytes, message_id: str
) -> None:
    topology = Topology(prefix=services.env["ETAPA_TOPOLOGY_PREFIX"])
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.events_exchange)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, content_type="application/json"),
            routing_key=routing_key,
            mandatory=True,
        )


async def test_a_redelivered_event_has_no_second_effect(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    event = opened_event(chain)
    body = event.model_dump_json().encode()
    for _ in range(3):
        await _publish(services, event.routing_key(), body, str(event.message_id))

    async def sms_sent() -> object:
        response = await http.get(
            f"{services.urls['notifier']}/api/v1/messages",
            params={"order_id": str(event.order_id)},
            headers=chain.headers,
        )
        items = response.json()["items"]
        return items if items and items[0]["status"] == "sent" else None

    assert len(await eventually(sms_sent)) == 1
    await asyncio.sleep(1)  # let any duplicate that slipped through show itself
    detail = (
        await http.get(
            f"{services.urls['workflow']}/api/v1/orders/{event.order_id}", headers=chain.headers
        )
    ).json()
    kinds = [entry["kind"] for entry in detail["timeline"]]
    assert kinds.count("opened") == 1
    assert kinds.count("stage_entered") == 1
    assert kinds.count("sms_sent") == 1


async def test_a_poison_message_goes_to_the_dead_letter_queue_with_nothing_applied(
    services: RunningServices,
) -> None:
    topology = Topology(prefix=services.env["ETAPA_TOPOLOGY_PREFIX"])
    poison = json.dumps({"type": "order.opened", "order_id": "not-a-uuid"}).encode()
    message_id = str(uuid.uuid4())
    await _publish(services, "order.opened.v1", poison, message_id)

    dead_letter_queue = topology.dead_letter_queue_name(
        topology.queue_name("workflow", "order.opened.v1")
    )
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(dead_letter_queue, passive=True)

        async def dead_lettered() -> aio_pika.abc.AbstractIncomingMessage | None:
            message = await queue.get(fail=False)
            if message is not None and message.message_id != message_id:
                await message.nack(requeue=True)
                return None
            return message

        message = await eventually(dead_lettered, timeout=30)
        assert message.body == poison
        await message.ack()


async def test_an_event_no_queue_receives_stays_in_the_outbox_with_its_error(
    services: RunningServices,
) -> None:
    pool = await asyncpg.create_pool(services.env["INTAKE_DATABASE_URL"], min_size=1, max_size=1)
    try:
        message_id = uuid.uuid4()
        await pool.execute(
            """
            INSERT INTO outbox (message_id, chain_id, routing_key, payload, correlation_id)
            VALUES ($1, $2, 'nobody.listens.v1', '{}', 'test-unroutable')
            """,
            message_id,
            uuid.uuid4(),
        )

        async def failed() -> asyncpg.Record | None:
            row = await pool.fetchrow(
                "SELECT published_at, attempts, last_error FROM outbox WHERE message_id = $1",
                message_id,
            )
            return row if row and row["attempts"] > 0 else None

        row = await eventually(failed)
        assert row["published_at"] is None
        assert "PublishError" in row["last_error"]
    finally:
        await pool.execute("DELETE FROM outbox WHERE message_id = $1", message_id)
        await pool.close()


async def test_ready_reports_database_and_broker(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    for url in services.urls.values():
        response = await http.get(f"{url}/ready")
        # every service also reports its polling loops (the outbox relay, the token-validity
        # reload, the messaging tables' retention; workflow's risk sweeper, the notifier's
        # dispatcher and early delivery reports): red when one is stuck
        checked = ["broker", "database", "loops"]
        assert response.json() == {"status": "ready", "checked": checked}
        metrics = await http.get(f"{url}/metrics")
        assert "etapa_messages_handled_total" in metrics.text
    # The three run in this process (one metrics registry): each loop has completed rounds.
    loops = (
        "outbox-relay",
        "token-validity",
        "risk-sweeper",
        "dispatcher",
        "early-reports",
        "message-retention",
    )
    for loop in loops:
        line = f'etapa_loop_rounds_total{{loop="{loop}"}}'

        async def counted(line: str = line) -> bool | None:
            text = (await http.get(f"{services.urls['intake']}/metrics")).text
            return True if line in text else None

        assert await eventually(counted), loop
