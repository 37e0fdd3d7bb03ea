"""Deferred writes on the real PostgreSQL (``shared.deferred_writes``, issue 16): in a
``committing`` transaction they are sent just before the commit, each lane in the order of its
writes and the lanes in the order they were first written to; they are never sent for a
transaction that fails, and a failing one fails its transaction; outside ``committing`` (or on
another connection) a write runs at once."""

from __future__ import annotations

import asyncio
from contextvars import copy_context

import asyncpg
import pytest

from shared import deferred_writes
from shared.database import Connection
from shared.outbox import carry_commit, committing

pytestmark = pytest.mark.integration

INSERT = "INSERT INTO written (tag, n) VALUES ($1, $2)"
DOUBLE = "UPDATE written SET n = n * 2 WHERE tag = $1"


@pytest.fixture
async def pool(scratch_pool: asyncpg.Pool) -> asyncpg.Pool:
    async with scratch_pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE written (id serial PRIMARY KEY, tag text NOT NULL, "
            "n integer NOT NULL CHECK (n < 100))"
        )
    return scratch_pool


async def _rows(pool: asyncpg.Pool) -> list[tuple[str, int]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT tag, n FROM written ORDER BY id")
    return [(r["tag"], r["n"]) for r in rows]


async def test_writes_wait_for_the_commit_and_keep_their_lanes_order(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, committing(conn):
        await deferred_writes.write(conn, "a", INSERT, "a1", 1)
        await deferred_writes.write(conn, "b", INSERT, "b1", 10)
        await deferred_writes.write(conn, "a", INSERT, "a2", 2)
        await deferred_writes.write(conn, "a", DOUBLE, "a1")  # after a1, in its lane
        await deferred_writes.write(conn, "a", INSERT, "a3", 3)
        # Not sent yet: the transaction itself does not see them.
        assert await conn.fetchval("SELECT count(*) FROM written") == 0
    # Lane a (first written to) before lane b; within a lane, in order.
    assert await _rows(pool) == [("a1", 2), ("a2", 2), ("a3", 3), ("b1", 10)]


async def test_a_failing_transaction_sends_nothing(pool: asyncpg.Pool) -> None:
    async def fail_after_writing() -> None:
        async with pool.acquire() as conn, committing(conn):
            await conn.execute(INSERT, "at once", 1)
            await deferred_writes.write(conn, "a", INSERT, "deferred", 2)
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError, match="handler failed"):
        await fail_after_writing()
    assert await _rows(pool) == []


async def test_a_failing_deferred_write_fails_its_transaction(pool: asyncpg.Pool) -> None:
    async def write_a_bad_row() -> None:
        async with pool.acquire() as conn, committing(conn):
            await conn.execute(INSERT, "at once", 1)
            await deferred_writes.write(conn, "a", INSERT, "fine", 2)
            await deferred_writes.write(conn, "a", INSERT, "too big", 500)

    with pytest.raises(asyncpg.CheckViolationError):
        await write_a_bad_row()
    assert await _rows(pool) == []


async def test_outside_committing_a_write_runs_at_once(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await deferred_writes.write(conn, "a", INSERT, "now", 1)
        assert await conn.fetchval("SELECT count(*) FROM written") == 1


async def test_another_connection_writes_at_once(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, committing(conn):
        async with pool.acquire() as other:
            await deferred_writes.write(other, "a", INSERT, "other", 1)
            assert await other.fetchval("SELECT count(*) FROM written") == 1
        await deferred_writes.write(conn, "a", INSERT, "mine", 2)
        assert await conn.fetchval("SELECT count(*) FROM written") == 1
    assert await _rows(pool) == [("other", 1), ("mine", 2)]


async def test_writes_from_a_carried_context_join_the_transaction(pool: asyncpg.Pool) -> None:
    """What a consumer batch does: each message's handler runs in its own context."""

    async def handler(conn: Connection, tag: str) -> None:
        await deferred_writes.write(conn, "a", INSERT, tag, 1)

    contexts = {tag: copy_context() for tag in ("m1", "m2")}  # made before the transaction
    async with pool.acquire() as conn, committing(conn):
        for tag, context in contexts.items():
            carry_commit(context)
            await asyncio.create_task(handler(conn, tag), context=context)
        assert await conn.fetchval("SELECT count(*) FROM written") == 0
    assert await _rows(pool) == [("m1", 1), ("m2", 1)]


async def test_a_context_not_carried_writes_at_once(pool: asyncpg.Pool) -> None:
    context = copy_context()
    async with pool.acquire() as conn, committing(conn):
        await asyncio.create_task(
            deferred_writes.write(conn, "a", INSERT, "not carried", 1), context=context
        )
        assert await conn.fetchval("SELECT count(*) FROM written") == 1


async def test_a_savepoint_keeps_its_writes_on_its_side(pool: asyncpg.Pool) -> None:
    """What workflow's risk sweeper does: one savepoint per order, one failing."""

    async def undone(conn: Connection) -> None:
        async with deferred_writes.savepoint(conn):
            await deferred_writes.write(conn, "a", INSERT, "undone", 2)
            raise RuntimeError("this order failed")

    async with pool.acquire() as conn, committing(conn):
        await deferred_writes.write(conn, "a", INSERT, "before", 1)
        with pytest.raises(RuntimeError, match="this order failed"):
            await undone(conn)
        async with deferred_writes.savepoint(conn):
            await deferred_writes.write(conn, "a", INSERT, "kept", 3)
        await deferred_writes.write(conn, "a", INSERT, "after", 4)
    assert await _rows(pool) == [("before", 1), ("kept", 3), ("after", 4)]


async def test_rows_written_together_join_their_lane(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, committing(conn):
        await deferred_writes.write(conn, "a", INSERT, "first", 1)
        await deferred_writes.write_many(conn, "a", INSERT, [("second", 2), ("third", 3)])
        assert await conn.fetchval("SELECT count(*) FROM written") == 0
    async with pool.acquire() as conn, conn.transaction():  # not collecting: sent at once
        await deferred_writes.write_many(conn, "a", INSERT, [("fourth", 4), ("fifth", 5)])
        assert await conn.fetchval("SELECT count(*) FROM written") == 5
    assert [tag for tag, _ in await _rows(pool)] == ["first", "second", "third", "fourth", "fifth"]


async def test_a_lane_sent_early_is_seen_by_what_reads_it_and_the_others_wait(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn, committing(conn):
        assert deferred_writes.deferring(conn)
        await deferred_writes.write(conn, "a", INSERT, "a1", 1)
        await deferred_writes.write(conn, "b", INSERT, "b1", 10)
        await deferred_writes.send(conn, "a")
        # Lane a was sent, in the transaction; lane b still waits for the commit.
        assert await conn.fetchval("SELECT array_agg(tag) FROM written") == ["a1"]
        await deferred_writes.write(conn, "a", INSERT, "a2", 2)  # lane a starts again, last
        await deferred_writes.send(conn, "c")  # a lane with nothing pending: nothing sent
    assert await _rows(pool) == [("a1", 1), ("b1", 10), ("a2", 2)]


async def test_outside_committing_nothing_is_deferred_and_sending_does_nothing(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        assert not deferred_writes.deferring(conn)
        await deferred_writes.send(conn, "a")
        await deferred_writes.write(conn, "a", INSERT, "now", 1)
        assert await conn.fetchval("SELECT count(*) FROM written") == 1
