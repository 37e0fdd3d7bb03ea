"""Replicas starting together: every one of them creates and migrates its database, none crashes.

Against the real PostgreSQL: several ``migrate`` calls race on a database that does not exist
yet, as N replicas of a service do on a fresh cluster (issue 16: ``make bench`` crashed at four
notifier processes on ``UniqueViolationError`` from ``CREATE DATABASE``).
"""

from __future__ import annotations

import asyncio
import gc
import uuid
from pathlib import Path

import asyncpg

from shared.database import database_name, drop_database, ensure_database, migrate
from shared.runtime import SHARED_MIGRATIONS
from tests.infra import Infra

NOTIFIER_MIGRATIONS = Path(__file__).parents[2] / "services/notifier/src/notifier/migrations"
REPLICAS = 8
ROUNDS = 8


def fresh_url(infra: Infra) -> str:
    return infra.database_url("race", f"_{uuid.uuid4().hex[:8]}")


async def test_replicas_creating_a_missing_database_together_all_succeed(infra: Infra) -> None:
    # A race is a matter of timing: several rounds, each on a database that does not exist yet.
    for _ in range(ROUNDS):
        url = fresh_url(infra)
        try:
            results = await asyncio.gather(
                *(ensure_database(url) for _ in range(REPLICAS)), return_exceptions=True
            )
            assert [r for r in results if isinstance(r, BaseException)] == []
            conn = await asyncpg.connect(url)  # it is there
            await conn.close()
        finally:
            await drop_database(url)


async def test_replicas_migrating_a_missing_database_together_migrate_it_once(
    infra: Infra,
) -> None:
    url = fresh_url(infra)
    try:
        results = await asyncio.gather(
            *(migrate(url, SHARED_MIGRATIONS, NOTIFIER_MIGRATIONS) for _ in range(REPLICAS)),
            return_exceptions=True,
        )
        assert [r for r in results if isinstance(r, BaseException)] == []
        conn = await asyncpg.connect(url)
        try:
            applied = await conn.fetchval("SELECT count(*) FROM _yoyo_migration")
            distinct = await conn.fetchval(
                "SELECT count(DISTINCT migration_id) FROM _yoyo_migration"
            )
        finally:
            await conn.close()
        assert applied == distinct > 0
    finally:
        await drop_database(url)


async def test_migrating_leaves_no_connection_open_at_postgresql(infra: Infra) -> None:
    # yoyo never closes its connection; left to the garbage collector (held off here), it stayed
    # open at PostgreSQL past start-up, a backend beyond the service's pool.
    url = fresh_url(infra)
    gc.disable()
    try:
        await migrate(url, SHARED_MIGRATIONS, NOTIFIER_MIGRATIONS)
        server = await asyncpg.connect(infra.postgres_url)
        try:
            for _ in range(40):  # a closed connection's backend takes a moment to leave
                left = await server.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database_name(url)
                )
                if left == 0:
                    break
                await asyncio.sleep(0.05)
        finally:
            await server.close()
        assert left == 0
    finally:
        gc.enable()
        gc.collect()
        await drop_database(url)
