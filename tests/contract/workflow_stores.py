"""The ``stores`` fixture of workflow's contract suites: each test runs once on the in-memory
fakes and once on PostgreSQL.

PostgreSQL is a fresh database of this run (``etapa_workflow_contract_<id>``, with workflow's
and the shared migrations) on ``ETAPA_TEST_POSTGRES_URL``; every test runs in a transaction
that is rolled back, so tests see only what they wrote. The database is dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from shared.database import create_pool, drop_database
from shared.runtime import migrate_service_database
from tests.fakes.workflow_stores import FakeStores
from workflow.adapters.postgres.stores import PostgresStores
from workflow.config import MIGRATIONS
from workflow.usecases.ports import Stores

_pools: dict[str, asyncpg.Pool] = {}
_urls: dict[str, str] = {}


async def _pool() -> asyncpg.Pool:
    if "pool" not in _pools:
        server = os.environ.get("ETAPA_TEST_POSTGRES_URL")
        if not server:
            pytest.fail(
                "the contract suites need PostgreSQL: set ETAPA_TEST_POSTGRES_URL", pytrace=False
            )
        name = f"etapa_workflow_contract_{uuid.uuid4().hex[:8]}"
        url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
        await migrate_service_database(url, MIGRATIONS)
        _urls["url"] = url
        _pools["pool"] = await create_pool(url, max_size=2)
    return _pools["pool"]


@pytest.fixture(scope="session", autouse=True)
async def drop_contract_database() -> AsyncIterator[None]:
    yield
    pool = _pools.pop("pool", None)
    if pool is not None:
        await pool.close()
        await drop_database(_urls.pop("url"))


@pytest.fixture(params=["fake", "postgres"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    if request.param == "fake":
        yield FakeStores()
        return
    pool = await _pool()
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            yield PostgresStores(conn)
        finally:
            await transaction.rollback()
