"""Transaction-scoped advisory locks, each sent once per transaction.

A consumer batch can take the locks of all its messages in one statement before its handlers
run (``lock_all``, in the order the handlers would take them: the batch's lock order), and each
handler's own ``lock`` then finds its lock held and sends nothing. Inside
``shared.outbox.committing`` (a consumer's transaction) the locks taken are remembered until the
transaction ends, which is when PostgreSQL releases them; elsewhere ``lock`` always sends its
statement. A savepoint that rolls back releases the locks taken inside it: they are forgotten
with it (``forgotten_on_rollback``, in ``shared.outbox.savepoint``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import Context, ContextVar

from shared.database import Connection

_held: ContextVar[HeldLocks | None] = ContextVar("advisory_locks_held", default=None)


class HeldLocks:
    """The advisory locks one transaction holds, as (space, key) pairs."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.keys: set[tuple[int, str]] = set()


async def lock(conn: Connection, space: int, key: str) -> None:
    """Take the transaction-scoped lock ``(space, hashtext(key))`` unless this transaction
    already holds it."""
    held = _remembered(conn)
    if held is not None and (space, key) in held.keys:
        return
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", space, key)
    if held is not None:
        held.keys.add((space, key))


async def lock_all(conn: Connection, space: int, keys: Sequence[str]) -> None:
    """Take the locks of ``keys`` in their order, in one statement (none already held)."""
    held = _remembered(conn)
    wanted = [k for k in dict.fromkeys(keys) if held is None or (space, k) not in held.keys]
    if not wanted:
        return
    # A function scan yields the array in order, and the aggregate calls the lock row by row.
    await conn.execute(
        "SELECT count(pg_advisory_xact_lock($1, hashtext(k))) FROM unnest($2::text[]) AS k",
        space,
        wanted,
    )
    if held is not None:
        held.keys.update((space, k) for k in wanted)


def _remembered(conn: Connection) -> HeldLocks | None:
    held = _held.get()
    return held if held is not None and held.conn is conn else None


@contextlib.contextmanager
def forgotten_on_rollback(conn: Connection) -> Iterator[None]:
    """Around a savepoint: if it rolls back (the block raises), the locks taken inside it are
    no longer remembered as held."""
    held = _remembered(conn)
    before = set(held.keys) if held is not None else set()
    try:
        yield
    except BaseException:
        if held is not None:
            held.keys = before
        raise


@contextlib.contextmanager
def remembering(conn: Connection) -> Iterator[None]:
    """Remember the locks taken on ``conn`` in this context (one transaction)."""
    token = _held.set(HeldLocks(conn))
    try:
        yield
    finally:
        _held.reset(token)


def carry(into: Context) -> None:
    """Let ``into`` (a message's own context) share the locks remembered here."""
    into.run(_held.set, _held.get())
