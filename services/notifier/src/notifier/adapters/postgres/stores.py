"""The stores of one PostgreSQL transaction, and the unit of work that opens it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg

from etapa_contracts.events import Event
from notifier.adapters.postgres.consent import PostgresConsent
from notifier.adapters.postgres.messages import PostgresMessages
from notifier.adapters.postgres.order_progress import PostgresOrderProgress
from notifier.adapters.postgres.settings import PostgresSettings
from shared import outbox
from shared.database import Connection


@dataclass(frozen=True, slots=True)
class PostgresOutbox:
    conn: Connection

    async def enqueue(self, event: Event) -> None:
        await outbox.enqueue(self.conn, event)


@dataclass(frozen=True)
class PostgresStores:
    """Every store on one connection (already in a transaction: the caller's)."""

    conn: Connection
    messages: PostgresMessages = field(init=False)
    consent: PostgresConsent = field(init=False)
    settings: PostgresSettings = field(init=False)
    progress: PostgresOrderProgress = field(init=False)
    outbox: PostgresOutbox = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", PostgresMessages(self.conn))
        object.__setattr__(self, "consent", PostgresConsent(self.conn))
        object.__setattr__(self, "settings", PostgresSettings(self.conn))
        object.__setattr__(self, "progress", PostgresOrderProgress(self.conn))
        object.__setattr__(self, "outbox", PostgresOutbox(self.conn))


class PostgresUnitOfWork:
    """``async with uow() as stores``: a pooled connection in one transaction;
    ``uow.each_statement()``: one with none (each statement commits on its own)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[PostgresStores]:
        async with self._pool.acquire() as conn, outbox.committing(conn):
            yield PostgresStores(conn)

    @contextlib.asynccontextmanager
    async def each_statement(self) -> AsyncIterator[PostgresStores]:
        async with self._pool.acquire() as conn:
            yield PostgresStores(conn)
