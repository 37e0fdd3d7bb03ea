"""The outbox relay on a thread of its own, with its own event loop (issue 16, item 2), and the
direct publisher beside it.

Why: on the event loop of a service's HTTP requests and consumers, each step of a relay round
(read the batch, publish it, await the confirms, mark the rows, commit) waits for a whole turn
of that loop, which under load runs every request and message that is ready first. On a thread
of its own a step waits for the interpreter lock instead: at most its switch interval (5 ms),
whatever the load. It adds no core; it keeps the relay's rounds short when the process is busy.

Rules:
- The thread runs one ``OutboxRelay`` on its own loop (uvloop, as uvicorn runs the service's),
  with its own pool (one connection: a relay works one round at a time) and its own broker
  connection, which only publishes. The relay's ``LISTEN`` connection, if any, is its own as
  before. Beside it, if asked, the process's direct publisher (``shared.outbox_direct``), with
  the same broker connection and pool: its marks, a few a second, take their turn on the
  relay's connection (the relay finds nothing due most of the time, so the connection count
  stays as it was). Should it fail, it is logged and the relay goes on alone.
- It starts once the process's broker has declared the queues of what the service publishes
  (the runtime starts it then, as it starts a relay on its loop).
- Commits of the process wake it across threads (``shared.outbox.waker``).
- Its rounds beat the process's ``LoopHealth``; ``/ready`` names ``outbox-relay`` when they stop,
  the thread's death included.
- A database or broker that is away when it starts is waited for (logged), as at the process's
  start. Cancelling ``run`` (the service stopping) cancels the relay on its loop, and waits for
  the thread to close its broker connection and pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

import asyncpg
import uvloop
from faststream.rabbit import RabbitBroker

from shared.database import create_pool, wait_for_database
from shared.logging import crash_logged, get_logger
from shared.messaging import until_broker_answers
from shared.outbox import OutboxRelay, Publish
from shared.outbox_direct import DirectPublisher

log = get_logger(__name__)

MakeRelay = Callable[[asyncpg.Pool, Publish], OutboxRelay]
"""Builds the relay on the thread, from its pool and its publish function."""
MakePublish = Callable[[RabbitBroker], Publish]
MakeDirect = Callable[[asyncpg.Pool, RabbitBroker], DirectPublisher]
"""Builds the direct publisher on the thread, from its pool and its broker."""

STOP_TIMEOUT = 10.0
"""Seconds the service's stop waits for the thread to close its connections."""


class RelayThread:
    """Runs an outbox relay on a daemon thread with its own event loop, pool and broker."""

    def __init__(
        self,
        make_relay: MakeRelay,
        *,
        database_url: str,
        statement_cache_size: int,
        broker: Callable[[], RabbitBroker],
        publisher: MakePublish,
        make_direct: MakeDirect | None = None,
    ) -> None:
        self._make_relay = make_relay
        self._make_direct = make_direct
        self._database_url = database_url
        self._statement_cache_size = statement_cache_size
        self._new_broker = broker
        self._publisher = publisher
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = threading.Event()

    async def run(self) -> None:
        """Run the relay on its thread until cancelled; then stop it and wait for the thread."""
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()

        def thread_ended() -> None:
            loop.call_soon_threadsafe(_resolve, ended)

        thread = threading.Thread(
            target=self._thread_main, args=(thread_ended,), name="outbox-relay", daemon=True
        )
        thread.start()
        try:
            await asyncio.shield(ended)
        finally:
            self._stop()
            await asyncio.wait([ended], timeout=STOP_TIMEOUT)

    def _thread_main(self, thread_ended: Callable[[], None]) -> None:
        try:
            # uvloop, as on the service's own loop (uvicorn's): a round's publishes and
            # statements are socket writes, which the standard loop makes in Python.
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(self._serve())
        except asyncio.CancelledError:  # stopped by ``run``
            pass
        except BaseException:
            log.exception("outbox_relay_thread_failed")
        finally:
            thread_ended()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._started.set()
        pool = await wait_for_database(
            lambda: create_pool(
                self._database_url,
                max_size=1,
                statement_cache_size=self._statement_cache_size,
            ),
            step="relay-pool",
        )
        broker = self._new_broker()
        try:
            await until_broker_answers(broker.connect, event="relay_broker_unavailable_retrying")
            direct = (
                # should it fail, it is logged and the relay goes on alone (the rows are then
                # the relay's at once: no publisher runs for their database)
                asyncio.create_task(
                    crash_logged(self._make_direct(pool, broker).run(), "outbox-direct")
                )
                if self._make_direct is not None
                else None
            )
            try:
                await self._make_relay(pool, self._publisher(broker)).run()
            finally:
                if direct is not None:
                    direct.cancel()
                    await asyncio.gather(direct, return_exceptions=True)
        finally:
            await broker.stop()
            await pool.close()

    def _stop(self) -> None:
        """Cancel the relay on its loop, from the service's (no-op once the thread has ended)."""
        self._started.wait(timeout=STOP_TIMEOUT)
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: it is ending
                loop.call_soon_threadsafe(task.cancel)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
