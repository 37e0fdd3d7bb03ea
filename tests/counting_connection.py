"""A connection that counts the statements sent through it: the round-trip tests' and benches'
measure of what a path costs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar, cast

import asyncpg

from shared import outbox
from shared.database import Connection

S = TypeVar("S")


class CountingConnection:
    """The connection, counting the statements sent through it (the SQL of each, in order)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.statements: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._conn, name)
        if name not in {"execute", "executemany", "fetch", "fetchrow", "fetchval"}:
            return attribute

        def counted(query: str, *args: Any, **kwargs: Any) -> Any:
            self.statements.append(" ".join(query.split())[:60])
            return attribute(query, *args, **kwargs)

        return counted


class CountingScopes(Generic[S]):
    """A service's two ways to its database on ``pool`` — a ``committing`` transaction
    (``begin``) and none (``each_statement``) — lending ``stores(conn)`` on a counting
    connection: every statement the stores send is counted (BEGIN and COMMIT, the
    transaction's own, are counted in ``transactions``)."""

    def __init__(self, pool: asyncpg.Pool, stores: Callable[[Connection], S]) -> None:
        self._pool = pool
        self._stores = stores
        self.transactions = 0
        self.statements: list[str] = []

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[S]:
        async with self._pool.acquire() as conn, outbox.committing(conn):
            self.transactions += 1
            counting = CountingConnection(conn)
            yield self._stores(cast(Connection, counting))
            self.statements += counting.statements

    @asynccontextmanager
    async def each_statement(self) -> AsyncIterator[S]:
        async with self._pool.acquire() as conn:
            counting = CountingConnection(conn)
            yield self._stores(cast(Connection, counting))
            self.statements += counting.statements
