"""A pooled connection goes back to the pool without asyncpg's reset query (one round trip less
per transaction, issue 16), and what the services rely on still holds: an unfinished
transaction is rolled back, ``SET LOCAL`` and transaction-scoped advisory locks end with their
transaction. Against the real PostgreSQL.
"""

from __future__ import annotations

import uuid

from shared.database import create_pool, drop_database, ensure_database
from tests.infra import Infra


async def test_a_released_connection_keeps_its_session_and_loses_its_transaction(
    infra: Infra,
) -> None:
    url = infra.database_url("pool", f"_{uuid.uuid4().hex[:8]}")
    await ensure_database(url)
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            backend = await conn.fetchval("SELECT pg_backend_pid()")
            # A session setting survives release only when no reset query ran.
            await conn.execute("SET application_name = 'etapa-pool-test'")
            async with conn.transaction():
                await conn.execute("SET LOCAL lock_timeout = 1234")
                assert await conn.fetchval("SELECT pg_try_advisory_xact_lock(42)")
            tx = conn.transaction()
            await tx.start()  # left open: released mid-transaction
            await conn.execute("CREATE TABLE left_open (id int)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") == backend  # the same session
            assert await conn.fetchval("SHOW application_name") == "etapa-pool-test"
            assert await conn.fetchval("SHOW lock_timeout") == "0"
            assert not await conn.fetchval("SELECT to_regclass('left_open') IS NOT NULL")
            held = await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            assert held == 0
            status = await conn.fetchval("SELECT current_setting('transaction_isolation')")
            assert status == "read committed"
    finally:
        await pool.close()
        await drop_database(url)
