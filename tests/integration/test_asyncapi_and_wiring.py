"""``/asyncapi`` answers on every service without a token, naming its channels; a producer's
events find their consumers' queues before any consumer has started (issue 17)."""

from __future__ import annotations

import json
import uuid

import aio_pika
import httpx
import pytest
from litestar.testing import AsyncTestClient

from console.bootstrap import create_app as create_console
from console.config import ConsoleSettings
from etapa_contracts.events import ServiceTypePublished
from etapa_contracts.topology import Topology
from shared.messaging import create_broker, declare_consumers_of, event_publisher
from shared.outbox import OutboxMessage
from shared.wiring import PUBLISHES
from tests.infra import Infra
from tests.integration.harness import RunningServices

pytestmark = pytest.mark.integration

CHANNELS = {
    "intake": ("lab.", "order.opened", "intake.order.remake_opened"),
    "workflow": (
        "workflow.order.opened",
        "order.stage_changed",
        "service_type.published",
        "order.remake_opened",
    ),
    "notifier": ("notifier.order.stage_changed", "notification.status"),
}


@pytest.mark.parametrize("service", sorted(CHANNELS))
async def test_asyncapi_answers_without_a_token(
    services: RunningServices, http: httpx.AsyncClient, service: str
) -> None:
    response = await http.get(f"{services.urls[service]}/asyncapi")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["asyncapi"].startswith("3.")
    text = json.dumps(document)
    for name in CHANNELS[service]:
        assert name in text, name


async def test_the_consoles_asyncapi_answers_without_a_session(services: RunningServices) -> None:
    app = create_console(ConsoleSettings.from_env(services.env))
    # no lifespan (no live feed): the document needs neither the broker nor the other services
    response = await AsyncTestClient(app).get("/asyncapi")
    assert response.status_code == 200, response.text
    assert "console.live:order.stage_changed.v1" in response.json()["channels"]


async def test_a_producers_events_are_routed_before_any_consumer_starts(infra: Infra) -> None:
    """Workflow publishes service types on a clean start before intake's queue exists; it now
    declares that queue first, so the mandatory publish is not returned (NO_ROUTE)."""
    env = infra.service_env("wire")
    topology = Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"])
    broker = create_broker(env["ETAPA_AMQP_URL"])
    await broker.start()
    try:
        declared = await declare_consumers_of(broker, topology, PUBLISHES["workflow"])
        assert topology.queue_name("intake", ServiceTypePublished.routing_key()) in declared
        publish = event_publisher(broker, topology)
        await publish(  # raises on a returned (unroutable) publish
            OutboxMessage(
                id=1,
                message_id=uuid.uuid4(),
                routing_key=ServiceTypePublished.routing_key(),
                payload={"probe": True},
                correlation_id="wiring-test",
            )
        )
    finally:
        await broker.stop()
    connection = await aio_pika.connect(env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(
            topology.queue_name("intake", ServiceTypePublished.routing_key()), passive=True
        )
        assert queue.declaration_result.message_count == 1
