"""The benches' autovacuum stand-in (``tests.bench.e2e_vacuum``) on the real PostgreSQL: where
the server has autovacuum off, a table past PostgreSQL's thresholds is vacuumed while a bench
runs, and one below them is left alone; where it is on, the stand-in does nothing."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shared.database import drop_database, ensure_database
from tests.bench.e2e_vacuum import autovacuum_is_off, autovacuum_stand_in
from tests.infra import Infra

pytestmark = pytest.mark.integration


async def _run(url: str, *statements: str) -> None:
    """``statements`` on a connection of their own: a backend reports its row counts to the
    statistics when it ends, so the next one sees them."""
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
    await asyncio.sleep(0.3)  # the backend's exit, after the client's goodbye


async def test_tables_past_the_thresholds_are_vacuumed_while_a_bench_runs(infra: Infra) -> None:
    url = infra.database_url("vacuum", "_stand_in")
    await ensure_database(url)
    try:
        await _run(
            url,
            "CREATE TABLE churned (n int PRIMARY KEY, v int)",
            "CREATE TABLE quiet (n int PRIMARY KEY, v int)",
            "INSERT INTO churned SELECT n, 0 FROM generate_series(1, 1000) n",
            "INSERT INTO quiet SELECT n, 0 FROM generate_series(1, 1000) n",
        )
        await _run(url, "VACUUM (ANALYZE) churned, quiet")
        await _run(
            url,
            "UPDATE churned SET v = v + 1",  # 1,000 dead rows: past 50 + 20 % of 1,000
            "UPDATE quiet SET v = 1 WHERE n <= 10",  # 10: below
        )

        missing = infra.database_url("vacuum", "_not_created_yet")  # a raw role's, before it starts
        async with autovacuum_stand_in([missing, url], naptime=0.2) as vacuums:
            await asyncio.sleep(1.5)

        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT relname, vacuum_count FROM pg_stat_user_tables")
        finally:
            await conn.close()
        vacuumed = {row["relname"]: row["vacuum_count"] for row in rows}
        if await autovacuum_is_off(url):
            assert vacuums.standing_in
            assert vacuums.rounds >= 1
            assert vacuumed == {"churned": 2, "quiet": 1}  # the test's own, then the stand-in's
            assert "vacuum.churned 1" in vacuums.describe()
        else:
            assert (vacuums.standing_in, vacuums.rounds, vacuums.tables) == (False, 0, 0)
            assert vacuums.describe() == "autovacuum on: no stand-in"
    finally:
        await drop_database(url)
