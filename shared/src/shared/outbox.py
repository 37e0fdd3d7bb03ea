"""Transactional outbox: an event is stored with the state change that caused it, then relayed.

Rules:
- ``enqueue`` runs inside the caller's transaction; the event exists only if the change commits.
  In a ``committing`` transaction its row is a deferred write (``shared.deferred_writes``): a
  consumer batch's events are inserted together, in order, just before the commit.
- Waking the relay: a transaction opened with ``committing`` (the services' units of work and
  every event consumer) wakes this process's relay in memory once it has committed, if it
  enqueued something — no ``NOTIFY``, so no PostgreSQL notify lock at every commit. A
  transaction opened some other way, or in a process without a relay (a script), sends one
  ``NOTIFY`` instead, which every relay with a LISTEN connection hears (none behind PgBouncer
  in transaction mode). The poll interval covers the rest: rows another replica committed while
  its relay was busy, a lost LISTEN connection, a relay that cannot LISTEN.
- The relay takes a batch in ``id`` order and publishes it on one channel, every publish
  ``mandatory`` and persistent, sent in ``id`` order; the publisher confirms are awaited together
  (a batch costs about one broker round trip, not one per row). Rows the broker confirmed are
  marked published with one ``UPDATE``, and only those, sent with the ``COMMIT`` (a round is
  three round trips to PostgreSQL). A crash between confirm and mark, or a mark that fails,
  publishes the rows again, which the consumers' inbox absorbs (at-least-once, effect once).
- Each row has a relay slot (one of ``RELAY_SLOTS``): every event of one order shares a slot,
  and so do a chain's events about no order (branches, people, service types). One relay at a
  time publishes a slot (a transaction-scoped advisory lock per slot), so an order's events
  leave in ``id`` order whatever the replicas (those the relay publishes: a row that
  committed on its own may be published at once by the process that wrote it instead,
  ``shared.outbox_direct``); the relays of several replicas publish
  different slots at once instead of taking turns on the whole outbox. A round takes, in one
  statement, the locks of slots with due rows that no other relay holds, from the relay's own
  starting slot on, until they hold a batch (``outbox_relay_slots``, a function of the shared
  migrations), and the batch in those slots. A relay that finds every slot it wants held waits
  for the first of them (up to the poll interval), then reads its batch; a relay that left
  slots with due rows goes on at once with another round.
- A publish that no queue receives (returned by the broker) is not dropped: the row stays, with
  its error, and is tried again later with backoff, while the relay goes on with the others.
- A broker that is down or refuses a publish leaves the refused rows unmarked, with no per-row
  backoff: the first of them stays first in line, and the relay waits, doubling up to
  ``max_broker_pause``, before it tries again. Rows of the same batch sent after it that the
  broker did confirm are marked: they are already in their queues, so they overtook it. The
  consumers do not depend on that order: workflow applies an order's events by their
  ``order_seq`` (an early one is parked), and every copy a consumer keeps (branches, staff,
  service types, contacts, message statuses, an order's progress) keeps the newest version.
- A broker or database that is down delays events; the relay keeps trying on its own.
- It is a ``shared.loops.PollingLoop``: no error ends it (any exception is logged, counted and
  the relay goes on), and ``/ready`` turns red naming ``outbox-relay`` when it has not completed
  a round within ``RELAY_DEADLINE``.
- The trace context of the change (``shared.tracing.context_headers``) is stored with the row
  and the relay publishes inside it, so an order's trace goes on across the relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import Context, ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from aiormq.exceptions import PublishError

from etapa_contracts.events import Event
from shared import advisory_locks, deferred_writes
from shared.database import Connection
from shared.logging import get_logger
from shared.loops import LoopHealth, PollingLoop
from shared.metrics import OUTBOX_FAILURES, OUTBOX_PUBLISHED
from shared.tracing import context_headers

log = get_logger(__name__)

NOTIFY_CHANNEL = "etapa_outbox"
RELAY_LOCK_SPACE = 0x0E7A9A
"""The first key of the slots' advisory locks (the second is the slot); each service has its
own database, so its own locks."""
RELAY_SLOTS = 16
"""How many slots the outbox's rows are spread over (``relay_slot``, 0..15): enough for the
relays of a few replicas to rarely want the same one."""
RELAY_LOOP = "outbox-relay"
RELAY_DEADLINE = 120.0
"""Seconds without a completed round before ``/ready`` names the relay: a batch of 200
confirmed publishes (10 s each at most) on a slow broker, and the broker pause, fit in it."""

_local_relays: set[Callable[[], None]] = set()
"""How to wake each relay running in this process (normally one), from any thread: the relay
may run on a thread of its own (``shared.relay_thread``)."""

_enqueued_here: ContextVar[list[bool] | None] = ContextVar("outbox_enqueued_here", default=None)
"""Inside ``committing``: a list that ``enqueue`` appends to, so the commit knows to wake."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    message_id: UUID
    routing_key: str
    payload: dict[str, Any]
    correlation_id: str
    trace_context: dict[str, str] | None = None
    """W3C trace headers (``traceparent``…) of the change that wrote the row, if traced."""


Publish = Callable[[OutboxMessage], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RelayRound:
    """What one round of the relay did."""

    published: int
    slots_left: bool = False
    """Slots with due rows stayed out of the batch (another relay held them, or the batch was
    full): another round should follow at once."""


COLUMNS = "message_id, chain_id, routing_key, payload, correlation_id, trace_context, relay_slot"
"""An outbox row's columns, in the order of ``row_values``."""
_COLUMN_NAMES = COLUMNS.split(", ")
WIDTH = len(_COLUMN_NAMES)
"""How many parameters ``row_values`` fills."""
_PAYLOAD_AT = _COLUMN_NAMES.index("payload")


def row_placeholders(first: int, payload: Callable[[str], str] = str) -> str:
    """The placeholders of ``row_values`` in a statement that passes them from ``$first`` on,
    in ``COLUMNS`` order; ``payload`` wraps the payload's (e.g. to set a field in SQL). The
    statement's next parameter is ``$(first + WIDTH)``."""
    names = [f"${first + index}" for index in range(WIDTH)]
    names[_PAYLOAD_AT] = payload(names[_PAYLOAD_AT])
    return ", ".join(names)


_INSERT = f"INSERT INTO outbox ({COLUMNS}) VALUES ({row_placeholders(1)})"


def row_values(event: Event) -> tuple[object, ...]:
    """``event``'s outbox row, in ``COLUMNS`` order (the trace context is the current one)."""
    return (
        event.message_id,
        event.chain_id,
        event.routing_key(),
        event.model_dump(mode="json"),
        event.correlation_id,
        context_headers(),
        relay_slot(event),
    )


def message_of(row_id: int, event: Event, payload: dict[str, Any]) -> OutboxMessage:
    """``event``'s row ``row_id`` as the relay reads it back (``payload`` as the row holds it;
    the trace context is the current one, as ``row_values`` stored it)."""
    return OutboxMessage(
        row_id,
        event.message_id,
        event.routing_key(),
        payload,
        event.correlation_id,
        context_headers(),
    )


def relay_slot(event: Event) -> int:
    """The slot of ``event``'s row: by its order, or by its chain for an event about no order
    (a stable hash, the same in every process)."""
    key = getattr(event, "order_id", None) or event.chain_id
    return zlib.crc32(str(key).encode()) % RELAY_SLOTS


async def enqueue(conn: Connection, event: Event) -> None:
    """Store ``event`` for publishing, in the caller's transaction (in ``committing``, with
    its other deferred writes, just before the commit)."""
    await deferred_writes.write(conn, "outbox", _INSERT, *row_values(event))
    await stored(conn)


async def stored(conn: Connection) -> None:
    """An outbox row was written on ``conn`` (by ``enqueue``, or by an adapter's own statement
    with ``COLUMNS`` and ``row_values``): wake the relay once it is committed. In ``committing``
    and with a relay in this process, after the commit; outside any transaction (the statement
    has committed), with a relay here, at once; else one ``NOTIFY``, which commits with it."""
    if _local_relays and not conn.is_in_transaction():
        wake_local_relays()
        return
    enqueued = _enqueued_here.get()
    if enqueued is not None and _local_relays:
        enqueued.append(True)  # ``committing`` wakes this process's relay after the commit
    else:
        await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")  # one per transaction reaches listeners


@contextlib.asynccontextmanager
async def committing(conn: Connection) -> AsyncIterator[None]:
    """``conn.transaction()``, its deferred writes (``shared.deferred_writes``: the outbox's
    rows among them) sent before the commit and its advisory locks taken once
    (``shared.advisory_locks``); once it has committed, wake this process's outbox relay if the
    transaction enqueued an event (not after a rollback, nor for a transaction that wrote
    none)."""
    enqueued: list[bool] = []
    token = _enqueued_here.set(enqueued)
    try:
        with deferred_writes.collecting(conn) as pending, advisory_locks.remembering(conn):
            async with conn.transaction():
                yield
                await pending.flush()
    finally:
        _enqueued_here.reset(token)
    if enqueued:
        wake_local_relays()


@contextlib.asynccontextmanager
async def savepoint(conn: Connection) -> AsyncIterator[None]:
    """A savepoint in a ``committing`` transaction: its deferred writes stay on its side (sent
    before it is released, dropped if it rolls back) and the advisory locks it took are
    forgotten if it rolls back (PostgreSQL has released them)."""
    with advisory_locks.forgotten_on_rollback(conn):
        async with deferred_writes.savepoint(conn):
            yield


def carry_commit(into: Context) -> None:
    """Let ``enqueue`` calls, deferred writes and advisory locks made in ``into`` (another
    context, e.g. a message's own, while a consumer batch's transaction runs here) count for the
    ``committing`` transaction open here."""
    into.run(_enqueued_here.set, _enqueued_here.get())
    deferred_writes.carry(into)
    advisory_locks.carry(into)


def wake_local_relays() -> None:
    """Wake the outbox relays of this process (they find nothing new if nothing committed)."""
    for wake in tuple(_local_relays):
        wake()


def waker(wakeup: asyncio.Event) -> Callable[[], None]:
    """A function that sets ``wakeup``, an event of the running loop, from any thread.

    From another thread it goes through ``call_soon_threadsafe`` (a write to the loop's wake-up
    pipe), and only when the event is not set already: a set event is cleared by the relay
    before its next read, which then sees this commit too."""
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()

    def wake() -> None:
        if threading.get_ident() == loop_thread:
            wakeup.set()
        elif not wakeup.is_set():
            loop.call_soon_threadsafe(wakeup.set)

    return wake


_MESSAGE_FIELDS = ("id", "message_id", "routing_key", "payload", "correlation_id", "trace_context")
_DUE = "published_at IS NULL AND next_attempt_at <= now()"
_SLOTS_AND_BATCH = f"""
    SELECT slots.wanted, slots.taken, due.* FROM outbox_relay_slots($2, $3, $4, $1) slots
    LEFT JOIN LATERAL (
        SELECT {", ".join(_MESSAGE_FIELDS)} FROM outbox
        WHERE relay_slot = ANY(slots.taken) AND {_DUE} ORDER BY id LIMIT $1
    ) due ON true
"""
"""The slots this relay takes (``outbox_relay_slots``, in the shared migrations: from its own
starting slot, each one free, until they hold a batch) and the batch in them, in one round
trip: always one row or more, with the slots wanted and taken (empty when nothing is due; a
slot this transaction holds already counts as taken) and the due rows (none: one row of
nulls)."""


class OutboxRelay:
    """Publishes what the outbox holds, woken after local commits, by NOTIFY and by a poll."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: Publish,
        *,
        database_url: str | None,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        max_backoff: float = 60.0,
        max_broker_pause: float = 5.0,
        service: str = "",
        health: LoopHealth | None = None,
        deadline: float = RELAY_DEADLINE,
    ) -> None:
        self._pool = pool
        self._service = service
        self._publish = publish
        self._database_url = database_url
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._max_broker_pause = max_broker_pause
        self._broker_failures = 0
        self._first_slot = random.randrange(RELAY_SLOTS)  # noqa: S311 (not a secret)
        """Where this relay starts trying the slots, so two replicas' relays rarely contend."""
        self._wakeup = asyncio.Event()
        self.loop = PollingLoop(
            RELAY_LOOP,
            self.round,
            interval=poll_interval,
            deadline=deadline,
            health=health,
            wake=self._wakeup,
        )

    async def run(self) -> None:
        """Relay for ever (``shared.loops``: no error ends it, ``/ready`` sees its rounds).

        Without a ``database_url`` to LISTEN at (PgBouncer in transaction mode cannot carry a
        LISTEN), the in-process wake and the poll interval find new events."""
        listener = (
            asyncio.create_task(self._listen(self._database_url), name="outbox-listener")
            if self._database_url is not None
            else None
        )
        wake = waker(self._wakeup)
        _local_relays.add(wake)
        try:
            await self.loop.run()
        finally:
            _local_relays.discard(wake)
            if listener is not None:
                listener.cancel()

    async def round(self) -> bool:
        """One batch; ``True`` (go on at once) after a full batch, a batch that left due slots
        (another relay held them, or the batch was full), or a broker pause."""
        done = await self.publish_pending()
        if self._broker_failures:
            pause = self._poll_interval * 2 ** min(self._broker_failures - 1, 16)
            await asyncio.sleep(min(self._max_broker_pause, pause))
            return True
        return done.published >= self._batch_size or done.slots_left

    async def _listen(self, url: str) -> None:
        """Keep one LISTEN connection open; the poll interval covers the time it is down."""
        while True:
            try:
                conn = await asyncpg.connect(url)
                closed = asyncio.Event()
                conn.add_termination_listener(lambda *_, ended=closed: ended.set())
                try:
                    await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wakeup.set())
                    await closed.wait()
                finally:
                    await conn.close()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await asyncio.sleep(self._poll_interval)

    async def publish_pending(self) -> RelayRound:
        """Publish one batch of due rows, in the slots no other relay holds.

        Three round trips to PostgreSQL: ``BEGIN``; the slots and the batch; the mark of the
        confirmed rows and ``COMMIT`` in one simple query (``_marked_and_commit``). The
        transaction is opened by hand, not with ``conn.transaction()``, whose ``COMMIT`` would be
        a round trip of its own."""
        async with self._pool.acquire() as conn:
            await conn.execute("BEGIN")
            try:
                rows = await self._slots_and_batch(conn)
                wanted, taken = rows[0]["wanted"], rows[0]["taken"]
                if wanted and not taken:  # every slot wanted is another relay's just now
                    await self._wait_for_slot(conn, wanted[0])
                    rows = await self._slots_and_batch(conn)
                    wanted, taken = rows[0]["wanted"], rows[0]["taken"]
                messages = [
                    OutboxMessage(**{k: row[k] for k in _MESSAGE_FIELDS})
                    for row in rows
                    if row["id"] is not None
                ]
                confirmed = await self._publish_batch(conn, messages) if messages else []
                await conn.execute(_marked_and_commit(confirmed))
            except BaseException as exc:
                await _roll_back(conn)
                if isinstance(exc, asyncpg.LockNotAvailableError):
                    return RelayRound(0)  # another replica's batch outlasted our wait
                raise
        if confirmed:
            OUTBOX_PUBLISHED.labels(service=self._service).inc(len(confirmed))
        return RelayRound(len(confirmed), slots_left=len(taken) < len(wanted))

    async def _slots_and_batch(self, conn: Connection) -> list[asyncpg.Record]:
        return list(
            await conn.fetch(
                _SLOTS_AND_BATCH, self._batch_size, RELAY_LOCK_SPACE, RELAY_SLOTS, self._first_slot
            )
        )

    async def _wait_for_slot(self, conn: Connection, slot: int) -> None:
        """Another replica works the slot: wait for its lock up to the poll interval (this
        relay was woken for rows it may not see)."""
        timeout_ms = max(1, int(self._poll_interval * 1000))
        await conn.execute(f"SET LOCAL lock_timeout = {timeout_ms}")
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", RELAY_LOCK_SPACE, slot)
        await conn.execute("SET LOCAL lock_timeout = 0")

    async def _publish_batch(self, conn: Connection, messages: list[OutboxMessage]) -> list[int]:
        """Send every message in ``id`` order, await their confirms together, record the
        refusals; return the ids of the confirmed ones (marked with the commit)."""
        outcomes = await asyncio.gather(
            *(self._publish(message) for message in messages), return_exceptions=True
        )
        confirmed: list[int] = []
        refused: list[tuple[OutboxMessage, Exception]] = []
        for message, outcome in zip(messages, outcomes, strict=True):
            if outcome is None:
                confirmed.append(message.id)
            elif isinstance(outcome, Exception):
                refused.append((message, outcome))
            else:  # cancelled (the service is stopping): nothing is marked, all is sent again
                raise outcome
        broker_trouble = [(m, exc) for m, exc in refused if not _is_about_this_message(exc)]
        for message, exc in refused:
            if not _is_about_this_message(exc):
                continue
            await self._record_failure(conn, message, exc, back_off=True)
        if broker_trouble:
            # the broker itself is in trouble: one error for the batch, on the first row it
            # refused, which stays first in line (no backoff); the relay pauses
            first, exc = broker_trouble[0]
            await self._record_failure(
                conn, first, exc, back_off=False, refused=len(broker_trouble)
            )
            self._broker_failures += 1
        elif confirmed:
            self._broker_failures = 0
        return confirmed

    async def _record_failure(
        self,
        conn: Connection,
        message: OutboxMessage,
        exc: Exception,
        *,
        back_off: bool,
        refused: int = 1,
    ) -> None:
        reason = type(exc).__name__
        OUTBOX_FAILURES.labels(service=self._service, reason=reason).inc()
        log.error(
            "outbox_publish_failed",
            message_id=str(message.message_id),
            routing_key=message.routing_key,
            error=f"{reason}: {exc}",
            **({"refused_in_batch": refused} if refused > 1 else {}),
        )
        await conn.execute(
            """
            UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                next_attempt_at = CASE WHEN $4 THEN now() + make_interval(
                    secs => least($3::float8, power(2, attempts)::float8))
                    ELSE next_attempt_at END
            WHERE id = $1
            """,
            message.id,
            f"{reason}: {exc}",
            self._max_backoff,
            back_off,
        )


def _marked_and_commit(confirmed: list[int]) -> str:
    """The round's last round trip: mark the confirmed rows published and commit, as one simple
    query (its statements run in order; a failing ``UPDATE`` leaves the ``COMMIT`` unrun). The
    ids are the outbox's own ``bigint`` keys, written as integers."""
    if not confirmed:
        return "COMMIT"
    ids = ",".join(str(int(row_id)) for row_id in confirmed)
    return (
        "UPDATE outbox SET published_at = now(), last_error = NULL "
        f"WHERE id = ANY('{{{ids}}}'::bigint[]); COMMIT"
    )


async def _roll_back(conn: Connection) -> None:
    """End a round's failed transaction; a connection that cannot is the pool's to drop (it
    rolls back, or closes, what it gets back in a transaction)."""
    if conn.is_in_transaction():
        with contextlib.suppress(Exception):
            await conn.execute("ROLLBACK")


def _is_about_this_message(exc: Exception) -> bool:
    """A problem of this message, not of the broker: no queue is bound for its key (returned,
    ``mandatory``), or the message itself cannot be encoded. Its row backs off alone."""
    return isinstance(exc, PublishError | TypeError | ValueError)
