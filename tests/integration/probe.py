"""A test's own queue on the events exchange, to see what a service published.

The queue is a durable quorum queue, so it keeps what arrives while its reader is away (a
broker restart included); ``drain`` reads it with a fresh connection each time.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aio_pika

from etapa_contracts.topology import Topology


@dataclass(frozen=True)
class Seen:
    routing_key: str
    message_id: str
    payload: dict[str, Any]


@dataclass
class Probe:
    amqp_url: str
    name: str

    @classmethod
    async def bind(cls, env: dict[str, str], *routing_keys: str) -> Probe:
        topology = Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"])
        probe = cls(env["ETAPA_AMQP_URL"], f"{topology.prefix}probe.{uuid.uuid4().hex[:8]}")
        connection = await aio_pika.connect(probe.amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(
                probe.name, durable=True, arguments={"x-queue-type": "quorum"}
            )
            for key in routing_keys:
                await queue.bind(exchange, routing_key=key)
        return probe

    async def drain(
        self,
        count: int,
        timeout: float = 20,
        settle: float = 0.5,
        where: Callable[[Seen], bool] = lambda _: True,
    ) -> list[Seen]:
        """Read until ``count`` messages ``where`` holds arrived (and ``settle`` s more for any
        extra one); messages it does not hold for are acked and left out."""
        seen: list[Seen] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet_until: float | None = None
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(self.name, passive=True)
            while True:
                message = await queue.get(fail=False)
                if message is not None:
                    await message.ack()
                    item = Seen(
                        message.routing_key or "",
                        message.message_id or "",
                        json.loads(message.body),
                    )
                    if where(item):
                        seen.append(item)
                    continue
                now = loop.time()
                if len(seen) >= count:
                    quiet_until = quiet_until or now + settle
                    if now >= quiet_until:
                        return seen
                elif now > deadline:
                    raise AssertionError(f"{len(seen)} of {count} messages within {timeout} s")
                await asyncio.sleep(0.1)

    async def delete(self) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(self.name)


async def publish_lab_message(
    env: dict[str, str], routing_key: str, body: bytes | dict[str, Any]
) -> None:
    """Publish as a lab system does: to ``etapa.lab``, persistent, confirmed, mandatory."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    topology = Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"])
    connection = await aio_pika.connect(env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.lab_exchange)
        await exchange.publish(
            aio_pika.Message(
                raw,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
            mandatory=True,
        )
