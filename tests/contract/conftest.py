"""The contract suites' PostgreSQL databases, one per service and run, dropped at the end."""

from collections.abc import AsyncIterator

import pytest

from tests.contract import intake_stores, notifier_stores, workflow_stores


@pytest.fixture(scope="session", autouse=True)
async def drop_contract_databases() -> AsyncIterator[None]:
    yield
    for stores in (intake_stores, notifier_stores, workflow_stores):
        await stores.DATABASE.drop()
    await workflow_stores.COMMITTED.drop()
    await notifier_stores.COMMITTED.drop()
