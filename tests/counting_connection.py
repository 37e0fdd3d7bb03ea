"""A connection that counts the statements sent through it: the round-trip tests' and benches'
measure of what a path costs."""

from __future__ import annotations

from typing import Any

from shared.database import Connection


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
