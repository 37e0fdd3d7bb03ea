"""PostgreSQL plumbing shared by the services: create the database, migrate it, pool it.

Each service owns one database and one directory of SQL migrations, applied with yoyo (which
takes a lock, so replicas starting together migrate once). JSON and JSONB columns are decoded
to Python values on every pooled connection.

Creating and migrating a database need a session of their own (``ensure_database`` holds a
session advisory lock until it closes): give them PostgreSQL's own address, never PgBouncer in
transaction mode, where a session lock stays on whichever server connection took it. The pool
works through PgBouncer in transaction mode (``statement_cache_size=0`` before PgBouncer 1.21).

A connection going back to the pool is not reset with asyncpg's default query (``SELECT
pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;``, one more round trip per
transaction): pooled connections keep no session state — settings are ``SET LOCAL``, advisory
locks transaction-scoped, cursors and ``LISTEN`` never on a pooled connection. An open
transaction is still rolled back and listeners dropped by asyncpg itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psycopg
from asyncpg.pool import PoolConnectionProxy
from yoyo import get_backend, read_migrations

from shared.logging import get_logger

log = get_logger(__name__)

# What handlers take: a plain connection or one lent by the pool (generic only to type checkers).
if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Connection = asyncpg.Connection | PoolConnectionProxy


DATABASE_OUTAGE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable; TimeoutError (a pool that cannot connect) too
    asyncpg.InterfaceError,  # the connection is closed or broken
    asyncpg.InternalClientError,  # the protocol lost its connection mid-operation
    asyncpg.PostgresConnectionError,  # class 08, e.g. ConnectionDoesNotExistError
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
"""Errors that mean the database is away (restarting, unreachable, out of connections), not
that the message or request is bad: consumers hold the message and HTTP answers 503."""


def is_database_outage(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_OUTAGE)


STARTUP_OUTAGE: tuple[type[BaseException], ...] = (*DATABASE_OUTAGE, psycopg.OperationalError)
"""An outage as a starting process meets it: asyncpg's (database creation, the pool) and
psycopg's (yoyo's migrations: refused, too many connections, starting up)."""

STARTUP_FIRST_PAUSE = 0.5
STARTUP_MAX_PAUSE = 10.0
T = TypeVar("T")


async def wait_for_database(attempt: Callable[[], Awaitable[T]], *, step: str) -> T:
    """``attempt()`` until it does not fail for a database outage; any other error is raised.

    A process starting while PostgreSQL restarts, or has no free connection (replicas starting
    together, a cluster at ``max_connections``), waits for it instead of crashing: the pause
    doubles from ``STARTUP_FIRST_PAUSE`` to ``STARTUP_MAX_PAUSE``, each wait logged.
    """
    pause = STARTUP_FIRST_PAUSE
    tries = 0
    while True:
        try:
            return await attempt()
        except STARTUP_OUTAGE as exc:
            tries += 1
            log.warning(
                "database_unavailable_at_start",
                step=step,
                tries=tries,
                retry_in=pause,
                error=f"{type(exc).__name__}: {exc}",
            )
            await asyncio.sleep(pause)
            pause = min(STARTUP_MAX_PAUSE, pause * 2)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def ensure_database(url: str) -> None:
    """Create the database named in ``url`` if it does not exist yet; safe under races.

    Replicas starting together all find the database missing: the creators take a session
    advisory lock on the name, so one creates it and the others find it there. A creator outside
    the lock (an older release, a person at psql) can still win the race: PostgreSQL then
    answers ``DuplicateDatabaseError`` or, when both inserts meet in the catalog's unique index,
    ``UniqueViolationError``; both mean the database is there.
    """
    name = database_name(url)
    conn = await asyncpg.connect(_with_database(url, "postgres"))
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", _lock_key(name))
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
                log.info("database_created", database=name)
            except asyncpg.DuplicateDatabaseError:
                pass  # created meanwhile by someone outside the lock
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name != "pg_database_datname_index":
                    raise
    finally:
        await conn.close()  # and with it the advisory lock


def _lock_key(name: str) -> str:
    return f"etapa.create_database:{name}"


def _apply_migrations(url: str, migrations_dirs: tuple[Path, ...]) -> int:
    yoyo_url = urlunsplit(urlsplit(url)._replace(scheme="postgresql+psycopg"))
    backend = get_backend(yoyo_url)
    try:
        migrations = read_migrations(*(str(d) for d in migrations_dirs))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return len(pending)
    finally:
        # yoyo never closes its connection: left to the garbage collector, it stayed open at
        # PostgreSQL past start-up (a backend beyond the pool, behind PgBouncer too)
        backend.connection.close()


async def migrate(url: str, *migrations_dirs: Path) -> None:
    """Create the database if needed and apply the pending migrations, in directory order."""
    await ensure_database(url)
    applied = await asyncio.to_thread(_apply_migrations, url, migrations_dirs)
    log.info("database_migrated", database=database_name(url), applied=applied)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for codec in ("json", "jsonb"):
        await conn.set_type_codec(
            codec, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


if TYPE_CHECKING:
    _Connection: TypeAlias = asyncpg.Connection[asyncpg.Record]
else:
    _Connection = asyncpg.Connection


class PooledConnection(_Connection):
    """A connection of ``create_pool``'s, which knows the URL its pool was made for."""

    pool_url: str = ""


def pool_url(conn: Connection) -> str | None:
    """The URL of the pool ``conn`` came from (``create_pool``'s), or ``None`` for another
    connection: which database it writes to, e.g. to find the process's direct publisher for
    it (``shared.outbox_direct``); a pooled connection lends its attributes to its proxy."""
    return getattr(conn, "pool_url", None) or None


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing to undo (see the module's docstring)."""


async def create_pool(
    url: str, *, min_size: int = 1, max_size: int = 10, statement_cache_size: int = 100
) -> asyncpg.Pool:
    """A pool at ``url``; ``statement_cache_size=0`` through PgBouncer in transaction mode
    (asyncpg then prepares each statement unnamed, in the same exchange that runs it)."""

    async def init(conn: _Connection) -> None:
        cast(PooledConnection, conn).pool_url = url
        await _init_connection(conn)

    pool: asyncpg.Pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=init,
        reset=_keep_session,
        statement_cache_size=statement_cache_size,
        connection_class=PooledConnection,
    )
    return pool


async def drop_database(url: str) -> None:
    """Drop the database in ``url`` (tests only), closing other sessions first."""
    name = database_name(url)
    conn = await asyncpg.connect(_with_database(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
