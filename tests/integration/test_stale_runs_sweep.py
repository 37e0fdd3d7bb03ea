"""What a killed test run left behind is swept by the next run; a live run's names are not.

Against the shared RabbitMQ and PostgreSQL: runs delete their own queues and databases when they
end, but a run killed mid-way leaves quorum queues that pile up on the broker (enough of them once
made it stop answering) and databases on the server.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import asyncpg
from aiormq.exceptions import ChannelNotFoundEntity

from shared.database import ensure_database
from tests.conftest import STALE_AFTER_S, _sweep_stale_runs
from tests.infra import Infra, new_run_id, run_started_at


def test_run_ids_carry_their_start_time() -> None:
    run_id = new_run_id(now=1_796_000_000)
    assert run_started_at(f"{run_id}.workflow.order.opened.v1") == 1_796_000_000
    assert run_started_at(f"etapa_intake_{run_id}") == 1_796_000_000
    assert run_started_at(f"etapa_race_{run_id}_ab12cd34") == 1_796_000_000
    assert run_started_at("etapa.events") is None
    assert run_started_at("etapa_intake") is None
    assert run_started_at("tabcdef12.workflow.order.opened.v1") is None  # ids before this scheme


async def _queue_exists(channel: aio_pika.abc.AbstractChannel, name: str) -> bool:
    try:
        await channel.declare_queue(name, passive=True)
    except ChannelNotFoundEntity:
        return False
    return True


async def _database_exists(infra: Infra, name: str) -> bool:
    server = await asyncpg.connect(infra.postgres_url)
    try:
        return bool(await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await server.close()


async def test_a_killed_runs_queues_and_databases_are_swept_a_live_ones_kept(
    infra: Infra,
) -> None:
    killed, live = new_run_id(now=time.time() - STALE_AFTER_S - 60), new_run_id()
    queues = {run: f"{run}.workflow.order.opened.v1" for run in (killed, live)}
    databases = {run: f"etapa_workflow_{run}" for run in (killed, live)}
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in queues.values():
            await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        for name in databases.values():
            await ensure_database(
                urlunsplit(urlsplit(infra.postgres_url)._replace(path=f"/{name}"))
            )
        try:
            await _sweep_stale_runs(infra)
            assert not await _queue_exists(await connection.channel(), queues[killed])
            assert not await _database_exists(infra, databases[killed])
            assert await _queue_exists(await connection.channel(), queues[live])
            assert await _database_exists(infra, databases[live])
        finally:
            cleanup = await connection.channel()
            for name in queues.values():
                await cleanup.queue_delete(name)
            server = await asyncpg.connect(infra.postgres_url)
            try:
                for name in databases.values():
                    await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await server.close()
