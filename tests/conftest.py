"""Fixtures shared by the integration and end-to-end tests (unit tests need none of these)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aio_pika
import pytest

from etapa_contracts.events import ALL_EVENTS
from etapa_contracts.topology import Topology
from intake.entrypoints.consumers import lab_queue
from shared.database import drop_database
from tests.infra import SERVICES, Infra, provide_infra


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running while the
    session's browser is open, and no asyncio test (nor ``asyncio.run``) works after that."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    provider = provide_infra()
    try:
        provided = provider.__enter__()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield provided
    finally:
        asyncio.run(_cleanup(provided))
        provider.__exit__(None, None, None)


async def _cleanup(infra: Infra) -> None:
    """Drop this run's databases and delete its queues and exchanges."""
    for suffix in infra.suffixes:
        for service in SERVICES:
            await drop_database(infra.database_url(service, suffix))
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        for suffix in infra.suffixes:
            env = infra.service_env(suffix)
            topology = Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"])
            for service in (*SERVICES, "dashboard"):  # workflow's taps: dashboard.<key>
                for event in ALL_EVENTS:
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
