"""Retention of the messaging tables (``shared.message_retention``) on the real PostgreSQL: a
published outbox row goes a week after it was published, an unpublished one never; an inbox
record goes 30 days after its message was handled; a large clean-up goes in slices."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared.message_retention import SLICE, Retention, delete_expired

pytestmark = pytest.mark.integration

WEEK_AND_MONTH = Retention(outbox_days=7, inbox_days=30)


async def outbox_row(
    pool: asyncpg.Pool, tag: str, created_days: int, published_days: int | None
) -> None:
    await pool.execute(
        """
        INSERT INTO outbox (message_id, chain_id, routing_key, payload, correlation_id,
                            created_at, published_at)
        VALUES ($1, $1, 'order.stage_changed.v1', jsonb_build_object('tag', $2::text), 'c',
                now() - make_interval(days => $3),
                now() - make_interval(days => $4))
        """,
        uuid.uuid4(),
        tag,
        created_days,
        published_days,
    )


async def inbox_row(pool: asyncpg.Pool, consumer: str, handled_days: int) -> None:
    await pool.execute(
        "INSERT INTO inbox (consumer, message_id, chain_id, handled_at)"
        " VALUES ($1, $2, $2, now() - make_interval(days => $3))",
        consumer,
        uuid.uuid4(),
        handled_days,
    )


async def sweep(pool: asyncpg.Pool, limit: int = SLICE) -> int:
    async with pool.acquire() as conn:
        return await delete_expired(conn, WEEK_AND_MONTH, limit)


async def test_only_what_is_past_its_retention_is_deleted(scratch_pool: asyncpg.Pool) -> None:
    pool = scratch_pool
    await outbox_row(pool, "published 8 days ago", 9, 8)
    await outbox_row(pool, "published 6 days ago", 6, 6)
    await outbox_row(pool, "never published, 40 days old", 40, None)
    await inbox_row(pool, "handled 31 days ago", 31)
    await inbox_row(pool, "handled 29 days ago", 29)

    assert await sweep(pool) == 1  # one of each table

    outbox = {row["tag"] for row in await pool.fetch("SELECT payload->>'tag' AS tag FROM outbox")}
    assert outbox == {"published 6 days ago", "never published, 40 days old"}
    inbox = {row["consumer"] for row in await pool.fetch("SELECT consumer FROM inbox")}
    assert inbox == {"handled 29 days ago"}
    assert await sweep(pool) == 0


async def test_a_large_clean_up_goes_in_slices(scratch_pool: asyncpg.Pool) -> None:
    pool = scratch_pool
    for n in range(5):
        await outbox_row(pool, f"old {n}", 20, 10)
        await inbox_row(pool, f"old {n}", 40)

    slices = [await sweep(pool, limit=2) for _ in range(4)]

    assert slices == [2, 2, 1, 0]  # a full slice says: go on at once
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 0
