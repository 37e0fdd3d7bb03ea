"""Consumer batches: the messages a queue has delivered, applied in one transaction.

Rules:
- With a batch size N > 1 (``<SERVICE>_CONSUMER_BATCH``) a consumer holds up to K × N unacked
  messages (prefetch K × N; K is ``<SERVICE>_CONSUMER_PREFETCH_BATCHES``, 5, at least 2).
  aio-pika runs one task per delivery and FastStream calls the handler in it; the handler
  hands its event to its queue's ``ConsumerBatches`` and waits. One batch at a time per queue:
  a batch is whatever is waiting when the one before is done (up to N). The prefetch is at
  least twice the batch so that the next batch fills while one is applied: with N, the batch
  being applied holds back as many deliveries as it has messages, and a saturated consumer's
  batches alternate (4, 1, 4, 1… for N = 5) instead of filling.
- Linger (``<SERVICE>_CONSUMER_LINGER_MS``, 20): when the consumer is busy and fewer than N are
  waiting, the batch waits that long for more before it starts (0: it starts one event-loop
  turn after its first message). Near saturation that makes batches of several messages
  instead of one or two, and a batch's fixed cost (BEGIN, the claims, the locks, COMMIT, the
  pool) is paid once for them; each message waits up to that long more. A full batch never
  waits.
- Busy: the batch's messages came while the batch before was being applied (the consumer is
  not keeping up one batch at a time). A message that finds its consumer idle — a copy of a
  new branch, a person, a lab; an action at a steady pace the consumer keeps up with — starts
  its batch at once: waiting would add its delay and save nothing.
- A batch is one transaction: the inbox claims of all its messages in one statement (a message
  handled before, or a second copy within the batch, is a duplicate and is skipped), then the
  queue's ``prepare`` if it has one (once, with the new events in handler order: workflow takes
  all their orders' locks in one statement, ``shared.advisory_locks``), then each handler, then
  one COMMIT; then each message's handler returns and FastStream acks it.
- Lock order: the handlers run sorted by the event's ``order_id`` (events without one keep
  their place), stably, so one order's messages keep their delivery order and every batch
  takes the orders' locks (workflow's advisory lock per order, the orders' rows) in one global
  order: two batches (two replicas, two queues) never wait for each other in a cycle.
- Read ahead: ``prepare`` may read rows for the batch's handlers into ``read_ahead()`` (workflow
  reads all the batch's orders in one statement, under their locks). That mapping lives for one
  attempt of one batch's transaction, is shared by its handlers and is gone when the batch
  commits or rolls back; outside a batch (a message alone) it is None. A handler takes a row
  out when it reads it, so a second read of it in the batch goes to the database.
- Each handler runs in its own message's context (trace span, correlation id, FastStream's
  message), as it would alone.
- A batch that fails for anything but a database outage — a handler's error, a deadlock, a
  serialization failure — is rolled back and its messages are handled one by one, in delivery
  order, each in its own transaction as with a batch of 1: the good ones commit, the bad one
  alone is nacked (towards its delivery limit and the dead-letter queue).
- A database outage holds the whole batch (``shared.outage_hold``): no nack, tried again with
  backoff, so an outage never counts against a message's delivery limit.
- ``after_commit`` runs once per committed batch that handled a message (none for duplicates).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextvars import Context, ContextVar, copy_context
from dataclasses import dataclass
from typing import Any

import asyncpg

from etapa_contracts.events import Event
from shared import inbox
from shared.database import Connection
from shared.logging import get_logger
from shared.metrics import CONSUMER_BATCH_MESSAGES, HANDLING_SECONDS, MESSAGES_HANDLED
from shared.outage_hold import hold_batch_through_outages
from shared.outbox import carry_commit, committing

log = get_logger(__name__)

Handler = Callable[[Connection, Any], Awaitable[None]]
Prepare = Callable[[Connection, list[Any]], Awaitable[None]]

_read_ahead: ContextVar[dict[Hashable, Any] | None] = ContextVar("read_ahead", default=None)


def read_ahead() -> dict[Hashable, Any] | None:
    """The rows this batch's ``prepare`` read for its handlers (the module's rules); None
    outside a consumer batch. Take a row out (``pop``) to use it."""
    return _read_ahead.get()


@contextlib.contextmanager
def reading_ahead() -> Iterator[dict[Hashable, Any]]:
    """A batch's read-ahead, empty, in this context until the block ends (each attempt of a
    batch opens one; its handlers' contexts get the same mapping)."""
    rows: dict[Hashable, Any] = {}
    token = _read_ahead.set(rows)
    try:
        yield rows
    finally:
        _read_ahead.reset(token)


@dataclass(slots=True, eq=False)
class _Delivery:
    event: Event
    context: Context
    """The message's own context: its trace span, correlation id, FastStream's message."""
    done: asyncio.Future[None]
    """Resolved once the message committed (or was a duplicate); its error if it failed."""
    received: float

    def settle(self, error: BaseException | None = None) -> None:
        if self.done.done():  # its handler went away (a closed channel): redelivered later
            return
        if error is None:
            self.done.set_result(None)
        elif isinstance(error, asyncio.CancelledError):
            self.done.cancel()
        else:
            self.done.set_exception(error)


def lock_order(delivery: _Delivery) -> str:
    """Sort key: the order the batch's handlers run in (see the module's rules)."""
    order_id = getattr(delivery.event, "order_id", None)
    return "" if order_id is None else str(order_id)


class ConsumerBatches:
    """One queue's batches: ``handle`` each delivered event; it returns once its batch has
    committed, or raises the error its message met when handled alone."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        service: str,
        consumer: str,
        size: int,
        handler: Handler,
        alone: Callable[[Any], Awaitable[None]],
        after_commit: Callable[[], None] | None = None,
        prepare: Prepare | None = None,
        linger: float = 0.0,
    ) -> None:
        """``alone(event)``: the message in a transaction of its own, held through outages
        (what a batch of 1 does). ``prepare(conn, events)``: run once per batch before the
        handlers. ``linger``: seconds a batch that is not full waits for more (the module's
        rules)."""
        self._pool = pool
        self._service = service
        self._consumer = consumer
        self._size = size
        self._handler = handler
        self._alone = alone
        self._after_commit = after_commit
        self._prepare = prepare
        self._linger = linger
        self._waiting: list[_Delivery] = []
        self._worker: asyncio.Task[None] | None = None

    async def handle(self, event: Event) -> None:
        loop = asyncio.get_running_loop()
        delivery = _Delivery(event, copy_context(), loop.create_future(), time.perf_counter())
        self._waiting.append(delivery)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name=f"batches:{self._consumer}")
        await delivery.done

    async def _work(self) -> None:
        busy = False  # the first batch's messages found the consumer idle
        while self._waiting:
            batch: list[_Delivery] = []
            try:
                if busy and self._linger and len(self._waiting) < self._size:
                    await asyncio.sleep(self._linger)  # more may come: one transaction for all
                batch = [d for d in self._waiting[: self._size] if not d.done.done()]
                del self._waiting[: self._size]
                await self._apply(batch)
                busy = True  # whatever waits now came while this batch was applied
            except BaseException as exc:  # a bug, or the loop closing: leave no one waiting
                for delivery in (*batch, *self._waiting):
                    delivery.settle(exc)  # each is nacked (or, cancelled, given back)
                self._waiting.clear()
                if not isinstance(exc, Exception):
                    raise
                log.exception("consumer_batch_crashed", consumer=self._consumer)

    async def _apply(self, batch: list[_Delivery]) -> None:
        if batch:
            CONSUMER_BATCH_MESSAGES.labels(service=self._service, consumer=self._consumer).observe(
                len(batch)
            )
        if len(batch) < 2:
            await self._one_by_one(batch)
            return
        handled: list[_Delivery] = []
        try:
            committed = await hold_batch_through_outages(
                lambda: self._together(batch, handled),
                service=self._service,
                consumer=self._consumer,
                message_ids=[d.event.message_id for d in batch],
                abandoned=lambda: all(d.done.done() for d in batch),
            )
        except Exception as exc:  # not an outage: find the bad message, commit the others
            log.warning(
                "consumer_batch_one_by_one",
                consumer=self._consumer,
                messages=len(batch),
                error=f"{type(exc).__name__}: {exc}",
            )
            await self._one_by_one(batch)
            return
        if committed:
            self._committed(batch, handled)

    async def _together(self, batch: list[_Delivery], handled: list[_Delivery]) -> None:
        """One transaction: the batch's inbox claims, then each new message's handler."""
        handled.clear()
        async with self._pool.acquire() as conn, committing(conn):
            new = await inbox.claim_all(
                conn, self._consumer, [(d.event.message_id, d.event.chain_id) for d in batch]
            )
            for delivery in sorted(batch, key=lock_order):
                if delivery.event.message_id not in new:
                    continue
                new.discard(delivery.event.message_id)  # a second copy is a duplicate
                handled.append(delivery)
            with reading_ahead() as rows:  # this attempt's, gone with it
                if self._prepare is not None and handled:
                    await self._prepare(conn, [d.event for d in handled])
                for delivery in handled:
                    context = delivery.context.copy()
                    carry_commit(context)  # its events wake this process's relay after commit
                    context.run(_read_ahead.set, rows)
                    await asyncio.create_task(
                        _awaited(self._handler(conn, delivery.event)), context=context
                    )

    def _committed(self, batch: list[_Delivery], handled: list[_Delivery]) -> None:
        now = time.perf_counter()
        handling = HANDLING_SECONDS.labels(service=self._service, consumer=self._consumer)
        for delivery in batch:
            outcome = "handled" if delivery in handled else "duplicate"
            MESSAGES_HANDLED.labels(
                service=self._service, consumer=self._consumer, outcome=outcome
            ).inc()
            if outcome == "duplicate":
                delivery.context.run(
                    log.info, "duplicate_message_skipped", message_id=str(delivery.event.message_id)
                )
            handling.observe(now - delivery.received)
        for delivery in batch:
            delivery.settle()
        if handled and self._after_commit is not None:
            self._after_commit()

    async def _one_by_one(self, batch: list[_Delivery]) -> None:
        """Each message in its own transaction, in delivery order, in its own context."""
        for delivery in batch:
            if delivery.done.done():
                continue
            try:
                await asyncio.create_task(
                    _awaited(self._alone(delivery.event)), context=delivery.context.copy()
                )
            except Exception as exc:
                delivery.settle(exc)
            else:
                delivery.settle()


async def _awaited(work: Awaitable[None]) -> None:
    """``work`` as a coroutine, for a task that runs it in a message's context."""
    await work
