"""Advisory locks taken once per transaction (``shared.advisory_locks``, issue 16), on the real
PostgreSQL: a batch's locks in one statement, really held; a handler's own lock then sends
nothing; a new transaction, or one not opened with ``committing``, sends its lock again."""

from __future__ import annotations

from typing import cast

import asyncpg
import pytest

from shared import advisory_locks
from shared.database import Connection
from shared.outbox import committing, savepoint
from tests.counting_connection import CountingConnection

pytestmark = pytest.mark.integration

SPACE = 0x7E57


@pytest.fixture
def pool(scratch_pool: asyncpg.Pool) -> asyncpg.Pool:
    return scratch_pool


async def _free(pool: asyncpg.Pool, key: str) -> bool:
    """Whether another connection can take ``key``'s lock right now."""
    async with pool.acquire() as other, other.transaction():
        taken: bool = await other.fetchval(
            "SELECT pg_try_advisory_xact_lock($1, hashtext($2))", SPACE, key
        )
        return taken


async def test_a_batchs_locks_are_taken_together_and_not_sent_again(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as raw:
        counting = CountingConnection(raw)
        conn = cast(Connection, counting)
        async with committing(conn):
            await advisory_locks.lock_all(conn, SPACE, ["b", "a", "b"])
            assert not await _free(pool, "a")
            assert not await _free(pool, "b")
            await advisory_locks.lock(conn, SPACE, "a")
            await advisory_locks.lock(conn, SPACE, "b")
            await advisory_locks.lock(conn, SPACE, "c")  # not held: sent
            await advisory_locks.lock_all(conn, SPACE, ["a", "c"])  # all held: nothing sent
            assert not await _free(pool, "c")
        assert len(counting.statements) == 2, counting.statements
        assert await _free(pool, "a")  # released with the transaction
        async with committing(conn):  # a new transaction takes its locks again
            await advisory_locks.lock(conn, SPACE, "a")
        assert len(counting.statements) == 3


async def test_outside_committing_every_lock_is_sent(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as raw, raw.transaction():
        counting = CountingConnection(raw)
        conn = cast(Connection, counting)
        await advisory_locks.lock_all(conn, SPACE, ["a"])
        await advisory_locks.lock(conn, SPACE, "a")
        assert len(counting.statements) == 2
        assert not await _free(pool, "a")


async def test_a_lock_taken_in_a_rolled_back_savepoint_is_taken_again(pool: asyncpg.Pool) -> None:
    """PostgreSQL releases it with the savepoint; it must not be remembered as held."""

    async def lock_then_fail(conn: Connection) -> None:
        async with savepoint(conn):
            await advisory_locks.lock(conn, SPACE, "a")
            raise RuntimeError("this order failed")

    async with pool.acquire() as raw:
        counting = CountingConnection(raw)
        conn = cast(Connection, counting)
        async with committing(conn):
            await advisory_locks.lock(conn, SPACE, "b")
            with pytest.raises(RuntimeError, match="this order failed"):
                await lock_then_fail(conn)
            assert await _free(pool, "a")  # released with the savepoint
            await advisory_locks.lock(conn, SPACE, "a")  # so it is sent again
            await advisory_locks.lock(conn, SPACE, "b")  # still held: not sent
            assert not await _free(pool, "a")
        assert len(counting.statements) == 3, counting.statements
