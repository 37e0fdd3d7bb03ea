"""Delete a test stack's queues and exchanges as soon as it stops.

Every stack (a suffix of the run) declares some 70 quorum queues; a whole ``make test`` starts
dozens of stacks. Left until the session's end they reached about 2,000 on the shared broker,
which twice stopped answering new connections mid-run; each stack now removes its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor

import aio_pika

from etapa_contracts.events import ALL_EVENTS, Event, UserChanged
from etapa_contracts.topology import Topology
from intake.entrypoints.consumers import lab_queue
from tests.infra import SERVICES, Infra

EVENTS: tuple[type[Event], ...] = (*ALL_EVENTS, UserChanged)  # user.changed: not in ALL_EVENTS


async def delete_topology(infra: Infra, suffixes: set[str] | frozenset[str]) -> None:
    """Delete the queues (and their dead-letter queues) and exchanges of these suffixes."""
    connection = await aio_pika.connect(infra.amqp_url, timeout=30)
    async with connection:
        channel = await connection.channel()
        for suffix in suffixes:
            prefix = infra.prefix + (suffix + "." if suffix else "")
            topology = Topology(prefix=prefix)
            for service in (*SERVICES, "dashboard"):  # workflow's taps: dashboard.<key>
                for event in EVENTS:
                    queue = topology.queue_name(service, event.routing_key())
                    for name in (queue, topology.dead_letter_queue_name(queue)):
                        await channel.queue_delete(name)
            lab = lab_queue(topology).name
            for name in (lab, topology.dead_letter_queue_name(lab)):
                await channel.queue_delete(name)
            for name in (
                topology.events_exchange,
                topology.lab_exchange,
                topology.dead_letter_exchange,
            ):
                await channel.exchange_delete(name)


def run_apart(work: Coroutine[object, object, None]) -> None:
    """Run ``work`` to completion on a loop of its own, in a thread: callers may be inside a
    running loop (an async fixture) or in plain synchronous code."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, work).result()
