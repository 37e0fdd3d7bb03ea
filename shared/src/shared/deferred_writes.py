"""Deferred writes: statements a transaction never reads back, sent together before COMMIT.

A consumer batch applies several messages in one transaction, and each stage change writes
rows nobody in that transaction reads again: its outbox event, its timeline entries, its stay
in a stage. Sent one by one, each is a round trip. Inside ``collecting(conn)`` (what
``shared.outbox.committing`` opens) ``write`` keeps them instead, and ``flush`` sends them
just before the commit, each run of one statement as one ``executemany`` (pipelined: one
round trip for the run, each row still its own statement, in order).

Rules:
- A write names its **lane** (its table). Writes of one lane run in the order they were made;
  lanes run in the order each was first written to. So a write may only be deferred when
  nothing in the transaction reads its table after it (or a table it changes through a
  trigger, other than deferred triggers, which run at the commit, after the flush).
- Outside ``collecting``, or on another connection than the one collecting, ``write`` runs
  the statement at once, as before.
- A transaction that fails before its end never flushes (it is rolled back anyway); a write
  that fails at the flush fails the transaction like any statement.
- A lane may be sent early (``send``): a store whose table is read back later in the
  transaction sends its lane before that read, so the read sees its writes.
- A savepoint is a boundary (``savepoint(conn)``): what was deferred before it is sent as it
  opens, what is deferred inside it is sent before it is released, or dropped when it is
  rolled back — never left to be sent for a part that was undone.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from contextvars import Context, ContextVar

from shared.database import Connection

_collecting: ContextVar[DeferredWrites | None] = ContextVar("deferred_writes", default=None)


class DeferredWrites:
    """One transaction's deferred writes, by lane, each lane a list of (statement, rows)
    runs."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lanes: dict[str, list[tuple[str, list[Sequence[object]]]]] = {}

    def add(self, lane: str, sql: str, values: Sequence[object]) -> None:
        runs = self._lanes.setdefault(lane, [])
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(values)
        else:
            runs.append((sql, [values]))

    async def send(self, lane: str) -> None:
        """Send ``lane``'s runs now, in order; the lane starts again empty."""
        for sql, rows in self._lanes.pop(lane, ()):
            await self._run(sql, rows)

    def drop(self) -> None:
        """Forget what is pending (its part of the transaction was rolled back)."""
        self._lanes = {}

    async def flush(self) -> None:
        """Send every run, lane after lane; nothing is kept after."""
        lanes, self._lanes = self._lanes, {}
        for runs in lanes.values():
            for sql, rows in runs:
                await self._run(sql, rows)

    async def _run(self, sql: str, rows: list[Sequence[object]]) -> None:
        if len(rows) == 1:
            await self.conn.execute(sql, *rows[0])
        else:
            await self.conn.executemany(sql, rows)


async def write(conn: Connection, lane: str, sql: str, *values: object) -> None:
    """Run ``sql`` with ``values`` on ``conn`` before its transaction commits: at once, or, in
    ``collecting(conn)``, with the transaction's other deferred writes."""
    pending = _pending_on(conn)
    if pending is not None:
        pending.add(lane, sql, values)
    else:
        await conn.execute(sql, *values)


async def write_many(
    conn: Connection, lane: str, sql: str, rows: Sequence[Sequence[object]]
) -> None:
    """``write`` for each of ``rows``; at once, they go as one pipelined ``executemany``."""
    pending = _pending_on(conn)
    if pending is not None:
        for values in rows:
            pending.add(lane, sql, values)
    elif len(rows) == 1:
        await conn.execute(sql, *rows[0])
    elif rows:
        await conn.executemany(sql, rows)


def deferring(conn: Connection) -> bool:
    """Whether ``write`` on ``conn`` is kept for the flush here (in ``collecting(conn)``)."""
    return _pending_on(conn) is not None


async def send(conn: Connection, lane: str) -> None:
    """Send what is pending in ``lane`` on ``conn`` now (nothing when none is)."""
    pending = _pending_on(conn)
    if pending is not None:
        await pending.send(lane)


@contextlib.asynccontextmanager
async def savepoint(conn: Connection) -> AsyncIterator[None]:
    """``conn.transaction()`` nested in the caller's (a savepoint), with the deferred writes
    kept on its side of the boundary (the module's rules)."""
    pending = _pending_on(conn)
    if pending is not None:
        await pending.flush()
    async with conn.transaction():
        try:
            yield
            if pending is not None:
                await pending.flush()
        except BaseException:
            if pending is not None:
                pending.drop()
            raise


def _pending_on(conn: Connection) -> DeferredWrites | None:
    pending = _collecting.get()
    return pending if pending is not None and pending.conn is conn else None


@contextlib.contextmanager
def collecting(conn: Connection) -> Iterator[DeferredWrites]:
    """Collect the deferred writes made on ``conn`` in this context; the caller flushes them
    before its commit."""
    pending = DeferredWrites(conn)
    token = _collecting.set(pending)
    try:
        yield pending
    finally:
        _collecting.reset(token)


def carry(into: Context) -> None:
    """Let writes made in ``into`` (a message's own context) join the collection open here."""
    into.run(_collecting.set, _collecting.get())
