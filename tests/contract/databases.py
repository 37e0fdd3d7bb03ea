"""The PostgreSQL side of the contract suites: a fresh, migrated database per service and run
(``etapa_<service>_<run id>contract`` on ``ETAPA_TEST_POSTGRES_URL``), made on first use from
inside a test's event loop and dropped when the session ends (``conftest.py``); a killed run's is
swept by a later one (``tests/conftest.py``)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from shared.database import create_pool, drop_database
from shared.runtime import migrate_service_database
from tests.infra import new_run_id


class ContractDatabase:
    def __init__(self, service: str, migrations: Path) -> None:
        self.service = service
        self.migrations = migrations
        self._url: str | None = None
        self._pool: asyncpg.Pool | None = None

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            server = os.environ.get("ETAPA_TEST_POSTGRES_URL")
            if not server:
                pytest.fail(
                    "the contract suites need PostgreSQL: set ETAPA_TEST_POSTGRES_URL",
                    pytrace=False,
                )
            name = f"etapa_{self.service}_{new_run_id()}contract"
            self._url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
            await migrate_service_database(self._url, self.migrations)
            self._pool = await create_pool(self._url, max_size=2)
        return self._pool

    async def drop(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._url is not None:
            await drop_database(self._url)
            self._url = None
