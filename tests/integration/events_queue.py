"""A queue bound to one routing key on a fresh events exchange of a run's own topology, for tests
that publish as the services do and read what arrives."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import aio_pika

from etapa_contracts.topology import Topology
from tests.infra import Infra


@contextlib.asynccontextmanager
async def bound_queue(
    infra: Infra, routing_key: str, name: str
) -> AsyncIterator[tuple[Topology, aio_pika.abc.AbstractQueue]]:
    """The topology (its prefix made of ``name``) and an exclusive queue bound to
    ``routing_key`` on its events exchange; the exchange is deleted after."""
    topology = Topology(prefix=f"{infra.prefix}{name}-{uuid.uuid4().hex[:6]}.")
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, routing_key)
        yield topology, queue
    finally:
        async with connection:
            channel = await connection.channel()
            await channel.exchange_delete(topology.events_exchange)
