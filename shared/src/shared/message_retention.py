"""Retention of the messaging tables: published outbox rows and inbox records are deleted once
they are old enough to serve no one, so neither table grows for as long as the service runs.

Rules:
- **Outbox:** a row is kept until it is published, however long that takes (a broker away for
  a week keeps every event). A published row only says what left and when; it is deleted
  ``ETAPA_OUTBOX_RETENTION_DAYS`` days (7) after it was published.
- **Inbox:** a row is what makes a second copy of a message change nothing. Copies come while
  the broker redelivers (seconds), when a relay publishes again rows it could not mark
  (seconds), or when a person moves dead letters back to their queue (days at most). A row is
  deleted ``ETAPA_INBOX_RETENTION_DAYS`` days (30) after its message was handled.
- **Small slices:** each statement deletes at most ``SLICE`` rows, found by a scan that stops
  once it has them, in a transaction of its own, so no lock or snapshot is held for long and a
  large first clean-up does not stall the consumers. The loop goes on at once while a slice was
  full and otherwise waits ``INTERVAL`` seconds (an hour).
- Every process runs it (a ``shared.loops.PollingLoop`` named ``message-retention``): two
  replicas deleting the same old rows at once is harmless, one of them finds them gone. A
  database that is away delays it; nothing else waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from prometheus_client import Counter

from shared.database import Connection
from shared.loops import LoopHealth, PollingLoop

RETENTION_LOOP = "message-retention"
INTERVAL = 3600.0
DEADLINE = 3 * INTERVAL
SLICE = 5000

DELETED = Counter(
    "etapa_messaging_rows_deleted_total",
    "Published outbox rows and inbox records deleted once past their retention, by table.",
    ["table"],
)

EXPIRED_ROWS = """
DELETE FROM {table} WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM {table}
    WHERE {stamp} < now() - make_interval(days => $1) LIMIT $2))
"""
"""One slice of ``table``'s rows whose ``stamp`` is older than $1 days, at most $2 of them; an
unpublished outbox row has no ``published_at`` and so is never among them."""


@dataclass(frozen=True, slots=True)
class Retention:
    outbox_days: int
    inbox_days: int

    def tables(self) -> tuple[tuple[str, str, int], ...]:
        """Each table, the column that dates a row, and the days a row is kept after it."""
        return (
            ("outbox", "published_at", self.outbox_days),
            ("inbox", "handled_at", self.inbox_days),
        )


async def delete_expired(conn: Connection, retention: Retention, limit: int = SLICE) -> int:
    """One slice of each table: the rows deleted (``limit`` or more: go on at once)."""
    deleted = 0
    for table, stamp, days in retention.tables():
        sql = EXPIRED_ROWS.format(table=table, stamp=stamp)
        status = await conn.execute(sql, days, limit)
        count = int(status.rsplit(" ", 1)[-1])
        DELETED.labels(table=table).inc(count)
        deleted = max(deleted, count)
    return deleted


def retention_loop(
    pool: asyncpg.Pool, retention: Retention, health: LoopHealth | None = None
) -> PollingLoop:
    async def one_round() -> bool:
        async with pool.acquire() as conn:
            return await delete_expired(conn, retention) >= SLICE

    return PollingLoop(
        RETENTION_LOOP, one_round, interval=INTERVAL, deadline=DEADLINE, health=health
    )
