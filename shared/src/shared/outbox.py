"""Transactional outbox: an event is stored with the state change that caused it, then relayed.

Rules:
- ``enqueue`` runs inside the caller's transaction; the event exists only if the change commits.
- The relay publishes in ``id`` order with publisher confirms and ``mandatory``; a row is marked
  published only after the broker confirmed it. A crash between confirm and mark publishes the
  row again, which the consumers' inbox absorbs (at-least-once, effect exactly once).
- One relay at a time works a batch (a transaction-scoped advisory lock), so replicas keep order.
- A publish that no queue receives (returned by the broker) is not dropped: the row stays, with
  its error, and is tried again later with backoff, while the relay goes on with the others.
- A broker that is down or refuses a publish stops the batch at that row, which stays first in
  line (no per-row backoff, so later rows never overtake it); the relay itself waits, doubling
  up to ``max_broker_pause``, before it tries again.
- A broker or database that is down delays events; the relay keeps trying on its own.
- It is a ``shared.loops.PollingLoop``: no error ends it (any exception is logged, counted and
  the relay goes on), and ``/ready`` turns red naming ``outbox-relay`` when it has not completed
  a round within ``RELAY_DEADLINE``.
- The trace context of the change (``shared.tracing.context_headers``) is stored with the row
  and the relay publishes inside it, so an order's trace goes on across the relay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from aiormq.exceptions import PublishError

from etapa_contracts.events import Event
from shared.database import Connection
from shared.logging import get_logger
from shared.loops import LoopHealth, PollingLoop
from shared.metrics import OUTBOX_FAILURES, OUTBOX_PUBLISHED
from shared.tracing import context_headers

log = get_logger(__name__)

NOTIFY_CHANNEL = "etapa_outbox"
_RELAY_LOCK_KEY = 0x0E7A9A  # any constant: one lock per database, and each service has its own
RELAY_LOOP = "outbox-relay"
RELAY_DEADLINE = 120.0
"""Seconds without a completed round before ``/ready`` names the relay: a batch of 200
confirmed publishes (10 s each at most) on a slow broker, and the broker pause, fit in it."""


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


async def enqueue(conn: Connection, event: Event) -> None:
    """Store ``event`` for publishing, in the caller's transaction."""
    await conn.execute(
        """
        INSERT INTO outbox (message_id, chain_id, routing_key, payload, correlation_id,
                            trace_context)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        event.message_id,
        event.chain_id,
        event.routing_key(),
        event.model_dump(mode="json"),
        event.correlation_id,
        context_headers(),
    )
    await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")


class OutboxRelay:
    """Publishes what the outbox holds, woken by NOTIFY and by a poll interval."""

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
        LISTEN), the poll interval alone finds new events."""
        if self._database_url is None:
            await self.loop.run()
            return
        listener = asyncio.create_task(self._listen(self._database_url), name="outbox-listener")
        try:
            await self.loop.run()
        finally:
            listener.cancel()

    async def round(self) -> bool:
        """One batch; ``True`` (go on at once) after a full batch or a broker pause."""
        published = await self.publish_pending()
        if self._broker_failures:
            pause = self._poll_interval * 2 ** min(self._broker_failures - 1, 16)
            await asyncio.sleep(min(self._max_broker_pause, pause))
            return True
        return published >= self._batch_size

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

    async def publish_pending(self) -> int:
        """Publish one batch of due rows; return how many were published."""
        published = 0
        async with self._pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _RELAY_LOCK_KEY):
                return 0
            rows = await conn.fetch(
                """
                SELECT id, message_id, routing_key, payload, correlation_id, trace_context
                FROM outbox
                WHERE published_at IS NULL AND next_attempt_at <= now()
                ORDER BY id LIMIT $1
                """,
                self._batch_size,
            )
            for row in rows:
                message = OutboxMessage(**dict(row))
                try:
                    await self._publish(message)
                except Exception as exc:  # broker down, returned, nacked: keep the row
                    reason = type(exc).__name__
                    OUTBOX_FAILURES.labels(service=self._service, reason=reason).inc()
                    log.error(
                        "outbox_publish_failed",
                        message_id=str(message.message_id),
                        routing_key=message.routing_key,
                        error=f"{reason}: {exc}",
                    )
                    this_message = _is_about_this_message(exc)
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
                        this_message,
                    )
                    if not this_message:
                        self._broker_failures += 1
                        break  # the broker itself is in trouble: keep order, try again later
                    continue
                await conn.execute(
                    "UPDATE outbox SET published_at = now(), last_error = NULL WHERE id = $1",
                    message.id,
                )
                OUTBOX_PUBLISHED.labels(service=self._service).inc()
                self._broker_failures = 0
                published += 1
        return published


def _is_about_this_message(exc: Exception) -> bool:
    """A problem of this message, not of the broker: no queue is bound for its key (returned,
    ``mandatory``), or the message itself cannot be encoded. Its row backs off alone."""
    return isinstance(exc, PublishError | TypeError | ValueError)
