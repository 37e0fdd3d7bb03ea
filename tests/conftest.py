"""Fixtures shared by the integration and end-to-end tests (unit tests need none of these)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import asyncpg
import pytest

from shared.database import drop_database
from tests.broker_cleanup import delete_topology, run_apart
from tests.infra import SERVICES, Infra, provide_infra, run_started_at

STALE_AFTER_S = 3 * 3600
"""A test run's queues and databases older than this belong to a run that was killed (runs
delete their own when they end; the longest, the chaos suite, takes well under an hour)."""


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
    run_apart(_sweep_stale_runs(provided))
    try:
        yield provided
    finally:
        run_apart(_cleanup(provided))
        provider.__exit__(None, None, None)


def _stale(name: str, now: float) -> bool:
    started = run_started_at(name)
    return started is not None and now - started > STALE_AFTER_S


def _broker_names(kind: str) -> list[str]:
    """Queue or exchange names on the local broker, through ``rabbitmqctl`` (AMQP cannot list
    them); none when the broker is not local or does not answer in time."""
    if shutil.which("rabbitmqctl") is None:
        return []
    try:
        listed = subprocess.run(
            ["rabbitmqctl", "--quiet", f"list_{kind}", "name"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return []
    return listed.stdout.split()


async def _sweep_stale_runs(infra: Infra) -> None:
    """Delete what killed test runs left behind: their quorum queues pile up on the shared broker
    (enough of them once made it stop answering) and their databases on the shared server."""
    now = time.time()
    queues = [name for name in _broker_names("queues") if _stale(name, now)]
    exchanges = [name for name in _broker_names("exchanges") if _stale(name, now)]
    if queues or exchanges:
        connection = await aio_pika.connect(infra.amqp_url, timeout=30)
        async with connection:
            channel = await connection.channel()
            for name in queues:
                await channel.queue_delete(name)
            for name in exchanges:
                await channel.exchange_delete(name)
    server = await asyncpg.connect(infra.postgres_url)
    try:
        names = await server.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'etapa_%'")
    finally:
        await server.close()
    for row in names:
        if _stale(row["datname"], now):
            url = urlunsplit(urlsplit(infra.postgres_url)._replace(path=f"/{row['datname']}"))
            await drop_database(url)


async def _cleanup(infra: Infra) -> None:
    """Drop this run's databases and delete its queues and exchanges."""
    for suffix in infra.suffixes:
        for service in SERVICES:
            await drop_database(infra.database_url(service, suffix))
    await delete_topology(infra, infra.suffixes)
