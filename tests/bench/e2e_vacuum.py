"""Autovacuum for a bench run on a server that has it off.

PostgreSQL vacuums and analyzes a table once enough of its rows changed (``autovacuum``, on by
default and in every deployment of Etapa). This machine's server has it off
(``/etc/postgresql/15/main/conf.d/90-ci.conf``), so in a long bench the tables an order's
transitions update keep every dead row, and each configuration or step ran slower than the one
before it, whatever it was: a run of 1 + 1, 2 + 2, 1 + 1, 2 + 2 declined from the first figure to
the last (5 December: 359, 342, 276 and under 280 transitions/s).

While a bench runs, ``autovacuum_stand_in`` does what the autovacuum launcher would: every
``naptime`` seconds it looks at each of a pipeline's databases and vacuums (with ``ANALYZE``) the
tables past PostgreSQL's default thresholds (dead rows over 50 + 20 % of the live ones, rows
inserted since the last vacuum over 1,000 + 20 %, rows changed since the last analyze over
50 + 10 %). Its work runs in PostgreSQL's backends, counted in ``postgres`` CPU, as
autovacuum's would be. On a server with autovacuum on it does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DUE_TABLES = """
SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables
WHERE n_dead_tup > 50 + 0.2 * n_live_tup
   OR n_ins_since_vacuum > 1000 + 0.2 * n_live_tup
   OR n_mod_since_analyze > 50 + 0.1 * n_live_tup
"""
"""PostgreSQL's default thresholds (``autovacuum_vacuum_threshold`` and ``_scale_factor``, the
same for inserts and for analyze), with the live rows standing for ``reltuples``."""


@dataclass
class Vacuums:
    standing_in: bool = False
    """The server has autovacuum off, so the stand-in ran."""
    rounds: int = 0
    by_table: dict[str, int] = field(default_factory=dict)
    """How many times each table was vacuumed (``<service>.<table>``)."""

    @property
    def tables(self) -> int:
        return sum(self.by_table.values())

    def describe(self) -> str:
        if not self.standing_in:
            return "autovacuum on: no stand-in"
        busiest = sorted(self.by_table.items(), key=lambda item: -item[1])[:4]
        names = ", ".join(f"{name} {times}" for name, times in busiest)
        return (
            f"autovacuum stand-in (the server has autovacuum off): {self.tables} tables vacuumed"
            f" in {self.rounds} rounds ({names}…)"
        )


async def autovacuum_is_off(database_url: str) -> bool:
    """Whether the server of ``database_url`` has autovacuum off (asked in its ``postgres``
    database: the one named may not exist yet)."""
    server = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    conn = await asyncpg.connect(server)
    try:
        return bool(await conn.fetchval("SHOW autovacuum") == "off")
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def autovacuum_stand_in(
    database_urls: list[str], naptime: float = 20.0
) -> AsyncIterator[Vacuums]:
    """Vacuum the databases at ``database_urls`` while the block runs, if their server has
    autovacuum off."""
    vacuums = Vacuums()
    if not await autovacuum_is_off(database_urls[0]):
        yield vacuums
        return
    vacuums.standing_in = True
    task = asyncio.create_task(_launcher(database_urls, naptime, vacuums))
    try:
        yield vacuums
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _launcher(database_urls: list[str], naptime: float, vacuums: Vacuums) -> None:
    while True:
        await asyncio.sleep(naptime)
        for url in database_urls:  # one not created yet, or away, is looked at next time
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await _vacuum_due_tables(url, vacuums)
        vacuums.rounds += 1


async def _vacuum_due_tables(url: str, vacuums: Vacuums) -> None:
    conn = await asyncpg.connect(url)
    try:
        database = url.rsplit("/", 1)[-1].split("_")[1]  # etapa_<service>_<run>…
        for (table,) in await conn.fetch(DUE_TABLES):
            await conn.execute(f"VACUUM (ANALYZE) {table}")
            name = f"{database}.{table.removeprefix('public.')}"
            vacuums.by_table[name] = vacuums.by_table.get(name, 0) + 1
    finally:
        await conn.close()
