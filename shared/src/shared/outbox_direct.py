"""Direct publishing: a row that committed on its own is published at once by the process
that wrote it; the outbox relay is its fallback (issue 16).

A staff action at intake is one statement that commits on its own (``insert_action``), and so
is the notifier's outcome of an SMS with its status event (``finish``). Through the relay such
an event costs a round: three round trips to PostgreSQL (read the due rows, mark them and
commit) for the two or three rows a round finds at 200 actions a second. Handed over as it
commits, it costs one confirmed publish, and the rows confirmed meanwhile are marked with one
statement.

Rules:
- Only for a row whose statement commits on its own (outside a transaction, where the row
  exists once the statement returns). ``grace(conn)`` is how far ahead such a statement sets the
  row's ``next_attempt_at``: no relay takes the row until then. It is 0 (the row is due at once,
  the caller wakes the relay as before) inside a transaction, in a process where no direct
  publisher runs, while its broker connection is down, while ``max_in_flight`` publishes are
  under way, and for ``grace`` seconds after a publish failed or took half the grace (the
  broker is likely away or in trouble). Then the relay takes the rows, in ``id`` order, and
  pauses as it does; a broker outage therefore keeps an order's events in order, but for
  those that were under way when it began.
- ``committed`` hands the committed row to the direct publisher of its database (the one
  running in this process for the URL of the connection's pool), which publishes it with the
  relay's own publish (confirmed, ``mandatory``, persistent, traced), without holding up the
  caller. The publisher runs beside the relay: on the relay's thread (``shared.relay_thread``),
  with its broker connection and its connection to PostgreSQL, so a publish does not wait
  for turns of the busy loop of requests and messages (why the relay has a thread; on that
  loop, in one run of two, a twentieth of the actions waited 380 ms or more for their publish);
  or on the process's loop, where the relay is. Once
  confirmed, the row is marked published at the confirm's time, together with the others
  confirmed since the last mark (one ``UPDATE`` at most every ``MARK_INTERVAL``).
- A publish that fails leaves the row as it is: the relay publishes it when its grace has
  passed. A mark that fails is tried again; a crash between confirm and mark publishes the row
  again after its grace, which the consumer's inbox absorbs (at-least-once, effect once).
- Order: an order's events may leave out of ``id`` order here (a later one sent at once, an
  earlier one by the relay after its grace). The events sent this way have one consumer,
  workflow, which does not depend on that order: it applies an order's ``order.action.v1`` by
  ``order_seq``, parking an early one until the one before it arrives, and keeps the newest
  ``notification.status.v1`` of each message (the notifier's outcome of an SMS, one statement
  too).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from etapa_contracts.events import Event
from shared import outbox
from shared.database import Connection, pool_url
from shared.logging import get_logger
from shared.metrics import OUTBOX_FAILURES, OUTBOX_PUBLISHED, OUTBOX_PUBLISHED_DIRECTLY
from shared.outbox import OutboxMessage, Publish

log = get_logger(__name__)

MARK_INTERVAL = 0.1
"""Seconds at least between two marks: the rows confirmed meanwhile are marked together. A
mark is off the event's way (the message is in its queue once confirmed); it only has to come
before the row's grace ends."""
MARK_RETRY_PAUSE = 0.5
"""Seconds between tries of a mark that failed (the database is away)."""

_MARK = """
    UPDATE outbox SET published_at = confirmed.at, last_error = NULL
    FROM unnest($1::bigint[], $2::timestamptz[]) AS confirmed(id, at)
    WHERE outbox.id = confirmed.id AND outbox.published_at IS NULL
"""

_running: dict[str, DirectPublisher] = {}
"""The direct publishers running in this process, by the URL of the database whose outbox they
publish (normally one; services run together in one process, as some tests do, have one each).
Read and changed from several threads: each is one dictionary operation."""


def grace(conn: Connection) -> float:
    """Seconds ahead to set ``next_attempt_at`` of a row written on ``conn`` now, so that the
    relay leaves it to ``committed``; 0 when it should not (the module's rules)."""
    url = pool_url(conn)
    publisher = _running.get(url) if url is not None else None
    if publisher is None or conn.is_in_transaction():
        return 0.0
    return publisher.grace()


COLUMNS = f"{outbox.COLUMNS}, next_attempt_at"
"""The columns of an outbox row that may be published at once: ``shared.outbox.COLUMNS``, then
``next_attempt_at``, whose value is ``due_in(<the statement's parameter for grace(conn)>)``."""


def due_in(seconds: str) -> str:
    """SQL for ``next_attempt_at``, ``seconds`` (a parameter, e.g. ``$19``) from now."""
    return f"now() + make_interval(secs => {seconds})"


async def committed(
    conn: Connection, grace: float, row_id: int, event: Event, payload: dict[str, Any]
) -> None:
    """``event``'s row ``row_id`` (``payload`` as the row holds it) was written on ``conn``
    ``grace`` seconds ahead (``grace(conn)``), and its statement committed: hand it to the
    direct publisher, or else wake the relay (``shared.outbox.stored``)."""
    url = pool_url(conn)
    publisher = _running.get(url) if grace and url is not None else None
    if publisher is not None and publisher.hand_over(outbox.message_of(row_id, event, payload)):
        return
    await outbox.stored(conn)  # none runs any more: the relay takes the row after its grace


class DirectPublisher:
    """Publishes rows handed over after their commit, and marks the confirmed ones."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: Publish,
        *,
        database_url: str,
        connected: Callable[[], bool] = lambda: True,
        grace: float = 5.0,
        max_in_flight: int = 256,
        mark_interval: float = MARK_INTERVAL,
        service: str = "",
    ) -> None:
        self._pool = pool
        self._publish = publish
        self._database_url = database_url
        """The URL of the database whose outbox rows it publishes: the one of the pools of
        the statements that write them (``shared.database.pool_url``)."""
        self._connected = connected
        """Whether its broker connection is up now (``shared.messaging.broker_connected``)."""
        self._grace = grace
        self._max_in_flight = max_in_flight
        self._mark_interval = mark_interval
        self._service = service
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handed: collections.deque[OutboxMessage] = collections.deque()
        """Rows handed over, from any thread, that its loop has not taken yet."""
        self._take_scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._confirmed: list[tuple[int, datetime]] = []
        """Rows confirmed and not yet marked, with the time of their confirm."""
        self._confirmations = asyncio.Event()
        self._paused_until = 0.0

    def grace(self) -> float:
        busy = len(self._in_flight) + len(self._handed) >= self._max_in_flight
        if busy or time.monotonic() < self._paused_until or not self._connected():
            return 0.0
        return self._grace

    def hand_over(self, message: OutboxMessage) -> bool:
        """Queue ``message`` for publishing on the publisher's loop (from any thread): its
        loop is woken once for all that were handed over meanwhile."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        self._handed.append(message)
        if not self._take_scheduled:
            self._take_scheduled = True
            try:
                loop.call_soon_threadsafe(self._take_handed)
            except RuntimeError:  # its loop closed meanwhile: the relay takes the rows
                return False
        return True

    def _take_handed(self) -> None:
        self._take_scheduled = False  # before taking: a row handed over from now wakes again
        while self._handed:
            task = asyncio.create_task(self._publish_one(self._handed.popleft()))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def run(self) -> None:
        """Mark confirmed rows until cancelled; then stop publishing (what is in flight is
        cancelled: its rows are the relay's after their grace)."""
        self._loop = asyncio.get_running_loop()
        _running[self._database_url] = self
        try:
            while True:
                await self._confirmations.wait()
                self._confirmations.clear()
                await self._mark_confirmed()
                await asyncio.sleep(self._mark_interval)
        finally:
            if _running.get(self._database_url) is self:
                del _running[self._database_url]
            for task in tuple(self._in_flight):
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            with contextlib.suppress(Exception):  # the last confirmed rows, if it can
                await asyncio.wait_for(self._mark_confirmed(), timeout=1.0)

    async def _publish_one(self, message: OutboxMessage) -> None:
        try:
            # a publish waits while its connection is down: give up before the grace ends,
            # so that the relay, not both, publishes the row
            await asyncio.wait_for(self._publish(message), timeout=self._grace / 2)
        except Exception as exc:
            self._paused_until = time.monotonic() + self._grace
            reason = type(exc).__name__
            OUTBOX_FAILURES.labels(service=self._service, reason=reason).inc()
            log.warning(
                "outbox_direct_publish_failed",
                message_id=str(message.message_id),
                routing_key=message.routing_key,
                error=f"{reason}: {exc}",
                relay_after_seconds=self._grace,
            )
            return
        self._confirmed.append((message.id, datetime.now(UTC)))
        self._confirmations.set()

    async def _mark_confirmed(self) -> None:
        """Mark every row confirmed so far published at its confirm's time, in one statement;
        on failure keep them and try again after a pause (the relay publishes any it reaches
        first: the inbox absorbs it)."""
        while self._confirmed:
            rows, self._confirmed = self._confirmed, []
            try:
                async with self._pool.acquire() as conn:
                    await conn.execute(
                        _MARK, [row_id for row_id, _ in rows], [at for _, at in rows]
                    )
            except Exception as exc:  # the database away, most likely: the rows wait for it
                self._confirmed[:0] = rows
                log.warning(
                    "outbox_direct_mark_failed",
                    rows=len(rows),
                    error=f"{type(exc).__name__}: {exc}",
                )
                await asyncio.sleep(MARK_RETRY_PAUSE)
                continue
            OUTBOX_PUBLISHED.labels(service=self._service).inc(len(rows))
            OUTBOX_PUBLISHED_DIRECTLY.labels(service=self._service).inc(len(rows))
