"""Every PostgreSQL store of one transaction on its connection (``usecases.ports.Stores``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from etapa_contracts.events import Event
from shared import outbox
from shared.database import Connection
from workflow.adapters.postgres.branches import PostgresBranchStore
from workflow.adapters.postgres.flows import PostgresFlowStore
from workflow.adapters.postgres.order_sequence import PostgresOrderSequence
from workflow.adapters.postgres.orders import PostgresOrderStore
from workflow.adapters.postgres.read_cache import ReadCaches, TransactionReads
from workflow.adapters.postgres.staff import PostgresStaffStore


class PostgresOutbox:
    """The shared transactional outbox: the event is published after the commit."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def enqueue(self, event: Event) -> None:
        await outbox.enqueue(self._conn, event)


class PostgresStores:
    """``caches``: the process's read caches (``read_cache``); without, this transaction's own."""

    def __init__(self, conn: Connection, caches: ReadCaches | None = None) -> None:
        self.conn = conn
        caches = caches or ReadCaches()
        reads = TransactionReads()
        self.orders = PostgresOrderStore(conn, caches, reads)
        self.sequence = PostgresOrderSequence(conn)
        self.flows = PostgresFlowStore(conn, caches, reads)
        self.branches = PostgresBranchStore(conn)
        self.staff = PostgresStaffStore(conn, reads)
        self.outbox = PostgresOutbox(conn)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        async with outbox.savepoint(self.conn):  # its deferred writes and locks stay inside
            yield
