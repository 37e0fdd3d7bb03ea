"""One PostgreSQL transaction and the stores that work in it (``intake.usecases.ports``).

``PostgresTransactions(pool).begin()`` lends a pooled connection for one transaction;
``PostgresStores(conn)`` wraps a connection whose transaction someone else holds (the inbox
of an event consumer).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from etapa_contracts.events import Event
from intake.adapters.postgres.directory import PostgresDirectory
from intake.adapters.postgres.idempotency import PostgresIdempotency
from intake.adapters.postgres.lab_messages import PostgresLabMessages
from intake.adapters.postgres.labs import PostgresLabs
from intake.adapters.postgres.orders import PostgresOrders
from intake.adapters.postgres.remakes import PostgresRemakes
from intake.adapters.postgres.sequence import PostgresSequence
from intake.adapters.postgres.service_types import PostgresServiceTypes
from intake.adapters.postgres.users import PostgresUsers
from shared import outbox
from shared.database import Connection


class PostgresOutbox:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def enqueue(self, event: Event) -> None:
        await outbox.enqueue(self._conn, event)


class PostgresStores:
    def __init__(self, conn: Connection) -> None:
        self.orders = PostgresOrders(conn)
        self.sequence = PostgresSequence(conn)
        self.keys = PostgresIdempotency(conn)
        self.directory = PostgresDirectory(conn)
        self.service_types = PostgresServiceTypes(conn)
        self.users = PostgresUsers(conn)
        self.labs = PostgresLabs(conn)
        self.lab_messages = PostgresLabMessages(conn)
        self.remakes = PostgresRemakes(conn)
        self.outbox = PostgresOutbox(conn)


class PostgresTransactions:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[PostgresStores]:
        async with self._pool.acquire() as conn, outbox.committing(conn):
            yield PostgresStores(conn)

    @asynccontextmanager
    async def each_statement(self) -> AsyncIterator[PostgresStores]:
        async with self._pool.acquire() as conn:
            yield PostgresStores(conn)
