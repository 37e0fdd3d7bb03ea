"""The outbox's backlog as gauges: how many events wait, and for how long the oldest has.

A loop of its own reads them every ``interval`` seconds, apart from the relay: the relay waits
for the broker, and a broker that is away is exactly when the backlog grows. Both reads use the
partial index of unpublished rows (``outbox_unpublished``), so they cost little however large
the table of published rows is. The age is by the database's clock, the one that stamped
``created_at``. When the database does not answer, the gauges keep their last value and
``etapa_outbox_sampled_timestamp_seconds`` stops moving.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from shared.database import DATABASE_OUTAGE, Connection
from shared.logging import get_logger
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OUTBOX_SAMPLED

log = get_logger(__name__)

SAMPLE_INTERVAL = 5.0
UNREADABLE: tuple[type[BaseException], ...] = (*DATABASE_OUTAGE, asyncpg.PostgresError)


async def read_backlog(conn: Connection) -> tuple[int, float]:
    """The number of unpublished events and the oldest one's age in seconds (0 when none)."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS backlog,
               coalesce((SELECT extract(epoch FROM now() - created_at) FROM outbox
                         WHERE published_at IS NULL ORDER BY id LIMIT 1), 0) AS oldest_age
        """
    )
    assert row is not None
    return int(row["backlog"]), float(row["oldest_age"])


async def sample_once(pool: asyncpg.Pool, service: str) -> None:
    async with pool.acquire() as conn:
        backlog, oldest_age = await read_backlog(conn)
    OUTBOX_BACKLOG.labels(service=service).set(backlog)
    OUTBOX_OLDEST_AGE.labels(service=service).set(oldest_age)
    OUTBOX_SAMPLED.labels(service=service).set(time.time())


async def sample_backlog(
    pool: asyncpg.Pool, service: str, interval: float = SAMPLE_INTERVAL
) -> None:
    """Keep the gauges of ``service``'s outbox current, for as long as the process runs."""
    while True:
        try:
            await sample_once(pool, service)
        except UNREADABLE as exc:
            log.warning("outbox_backlog_unreadable", error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(interval)
