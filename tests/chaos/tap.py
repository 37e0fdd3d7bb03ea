"""Duplicate delivery and poison messages, injected on the broker.

A tap queue of the chaos run's own is bound to the events exchange with ``#``: it sees every
event the services publish. For a share of them it publishes a copy (same body, same
``message_id``, same routing key: a redelivery as the consumers see it) or a poison message
(unreadable JSON, fresh id) on the same routing key. What it publishes carries
``x-chaos`` so it is never copied again, and dead-lettered poison can be told from real events.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractIncomingMessage


@dataclass
class Tap:
    amqp_url: str
    exchange_name: str
    seed: int
    duplicate_share: float = 0.0
    poison_share: float = 0.0
    seen: int = 0
    duplicated: int = 0
    poisoned: int = 0
    _connection: aio_pika.abc.AbstractRobustConnection | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self) -> None:
        self.rng = random.Random(self.seed)
        self._connection = await aio_pika.connect_robust(self.amqp_url)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.get_exchange(self.exchange_name)
        queue = await channel.declare_queue(f"chaos-tap-{uuid.uuid4().hex[:8]}", exclusive=True)
        await queue.bind(self._exchange, routing_key="#")
        await queue.consume(self._on_event)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        async with message.process():
            if "x-chaos" in (message.headers or {}):
                return
            self.seen += 1
            key = message.routing_key or ""
            if self.rng.random() < self.duplicate_share:
                copy = aio_pika.Message(
                    message.body,
                    content_type=message.content_type,
                    message_id=message.message_id,
                    headers={**(message.headers or {}), "x-chaos": "copy"},
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                )
                await self._exchange.publish(copy, routing_key=key)
                self.duplicated += 1
            if self.rng.random() < self.poison_share:
                poison = aio_pika.Message(
                    b'{"type": "' + key.encode() + b'", "broken": ',
                    content_type="application/json",
                    message_id=str(uuid.uuid4()),
                    headers={"x-chaos": "poison"},
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                )
                await self._exchange.publish(poison, routing_key=key)
                self.poisoned += 1
