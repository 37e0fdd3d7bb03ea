"""Upgrading intake past ``order.remake_opened.v1``: its old ``order.stage_changed.v1`` queue,
declared and bound by the release before, stops filling and goes once it is empty; a queue that
still holds messages is kept for a person to look at (real RabbitMQ)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest

from etapa_contracts.events import OrderStageChanged
from etapa_contracts.topology import Topology
from shared.messaging import create_broker, declare_consumer_queue, retire_queues
from shared.wiring import RETIRED
from tests.infra import Infra

pytestmark = pytest.mark.integration

OLD_KEY = OrderStageChanged.routing_key()


@pytest.fixture
async def topology(infra: Infra) -> AsyncIterator[Topology]:
    """A topology of its own, with intake's old queue declared as the release before did."""
    declared = Topology(prefix=f"{infra.prefix}retire-{uuid.uuid4().hex[:6]}.")
    broker = create_broker(infra.amqp_url)
    await broker.start()
    try:
        await declare_consumer_queue(broker, declared, "intake", OLD_KEY)
    finally:
        await broker.stop()
    yield declared
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        name = declared.queue_name("intake", OLD_KEY)
        for queue in (name, declared.dead_letter_queue_name(name)):
            await channel.queue_delete(queue)
        for exchange in (declared.events_exchange, declared.dead_letter_exchange):
            await channel.exchange_delete(exchange)


async def _exists(amqp_url: str, queue: str) -> bool:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return False
        return True


async def _publish_stage_change(amqp_url: str, topology: Topology) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.events_exchange)
        await exchange.publish(aio_pika.Message(b"{}"), routing_key=OLD_KEY)


def test_intake_retires_its_stage_changed_queue() -> None:
    assert RETIRED["intake"] == (OLD_KEY,)


async def test_an_empty_retired_queue_is_deleted_with_its_dead_letter_queue(
    infra: Infra, topology: Topology
) -> None:
    name = topology.queue_name("intake", OLD_KEY)
    assert await _exists(infra.amqp_url, name)

    held = await retire_queues(infra.amqp_url, topology, "intake", RETIRED["intake"])

    assert held == {name: 0}
    assert not await _exists(infra.amqp_url, name)
    assert not await _exists(infra.amqp_url, topology.dead_letter_queue_name(name))
    # again (the next start, another replica): nothing to do, no error
    assert await retire_queues(infra.amqp_url, topology, "intake", RETIRED["intake"]) == {}


async def test_a_retired_queue_with_messages_is_unbound_and_kept(
    infra: Infra, topology: Topology
) -> None:
    name = topology.queue_name("intake", OLD_KEY)
    await _publish_stage_change(infra.amqp_url, topology)

    held = await retire_queues(infra.amqp_url, topology, "intake", RETIRED["intake"])

    assert held == {name: 1}
    await _publish_stage_change(infra.amqp_url, topology)  # no longer reaches it
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        assert queue.declaration_result.message_count == 1
