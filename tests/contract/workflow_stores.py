"""The ``stores`` fixture of workflow's contract suites: each test runs once on the in-memory
fakes and once on PostgreSQL.

PostgreSQL is a fresh database of this run (``tests/contract/databases.py``); every test runs in
a transaction that is rolled back, so tests see only what they wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.contract.databases import ContractDatabase
from tests.fakes.workflow_stores import FakeStores
from workflow.adapters.postgres.stores import PostgresStores
from workflow.config import MIGRATIONS
from workflow.usecases.ports import Stores

DATABASE = ContractDatabase("workflow", MIGRATIONS)
COMMITTED = ContractDatabase("workflowcommitted", MIGRATIONS)
"""For the tests whose transactions commit (the read caches, the round trips): apart, so the
rolled-back suites never see their rows (a risk timer, say)."""


@pytest.fixture(params=["fake", "postgres"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    if request.param == "fake":
        yield FakeStores()
        return
    pool = await DATABASE.pool()
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            yield PostgresStores(conn)
        finally:
            await transaction.rollback()
