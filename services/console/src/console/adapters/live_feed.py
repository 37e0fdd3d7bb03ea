"""The console's own RabbitMQ queue of order events, fanned out to open boards.

Each console process declares an exclusive, auto-deleted queue bound to the order events a
board shows, and hands every update to the subscribers of this process (one per open SSE
stream). Nothing here is durable on purpose: a board that reconnects reloads its cards from
workflow, so an update missed while a console was down loses nothing. aio-pika's robust
connection reconnects and re-declares the queue by itself when the broker comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from console.domain.live import LIVE_ROUTING_KEYS, LiveUpdate, update_of
from etapa_contracts.topology import Topology
from shared.logging import get_logger

log = get_logger(__name__)

SUBSCRIBER_BACKLOG = 256


class LiveHub:
    """In-process fan-out: every subscriber gets every update; a slow one drops its oldest."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[LiveUpdate]] = set()

    def publish(self, update: LiveUpdate) -> None:
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(update)

    @contextlib.contextmanager
    def subscription(self) -> Iterator[asyncio.Queue[LiveUpdate]]:
        queue: asyncio.Queue[LiveUpdate] = asyncio.Queue(SUBSCRIBER_BACKLOG)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)


class LiveFeed:
    """Consumes the console's queue into a :class:`LiveHub` for as long as the process runs."""

    def __init__(self, amqp_url: str, topology: Topology, hub: LiveHub) -> None:
        self._url = amqp_url
        self._topology = topology
        self._hub = hub
        self._connection: AbstractRobustConnection | None = None
        self.connected = asyncio.Event()

    async def run(self) -> None:
        delay = 1.0
        while self._connection is None:
            try:
                self._connection = await aio_pika.connect_robust(self._url)
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("live_feed_broker_unavailable", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=100)
        exchange = await channel.declare_exchange(
            self._topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for routing_key in LIVE_ROUTING_KEYS:
            await queue.bind(exchange, routing_key=routing_key)
        await queue.consume(self._on_message, no_ack=True)
        self.connected.set()
        log.info("live_feed_connected", routing_keys=list(LIVE_ROUTING_KEYS))
        await asyncio.Future()  # consume until cancelled

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            body = json.loads(message.body)
        except ValueError:
            return
        update = update_of(body) if isinstance(body, dict) else None
        if update is not None:
            self._hub.publish(update)

    async def ready(self) -> None:
        if not self.connected.is_set() or self._connection is None or self._connection.is_closed:
            raise RuntimeError("live feed not connected to the broker")

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


async def stream(hub: LiveHub) -> AsyncIterator[LiveUpdate]:
    with hub.subscription() as queue:
        while True:
            yield await queue.get()
