"""The notifier's background loop (the dispatcher), on the chassis's polling loop.

**No exception ends the loop** (``shared.loops.PollingLoop``): each round is caught whole,
logged and counted in ``etapa_loop_errors_total{loop="dispatcher", scope="round"}``, and the
loop goes on after its interval. One message's error stays with that message (its lease runs
out and it is claimed again), counted with ``scope="message"``; it never cancels the batch's
other sends.

**A loop that stops completing rounds turns ``/ready`` red** (``shared.loops.LoopHealth``):
for the dispatcher, after twice a send lease plus 30 s, longer than any round can take when
every slot waits on a slow provider.

The dispatcher keeps up to ``batch_size`` sends in flight, each in its own task with its own
deadline per provider request, and claims as many messages as there are free slots as soon as
one frees, so one hanging request holds one slot, not a batch.
"""

from __future__ import annotations

import asyncio

from notifier.usecases.dispatch import DispatchMessages
from notifier.usecases.records import ClaimedMessage
from shared.logging import correlation_scope, get_logger
from shared.loops import LOOP_ERRORS, LoopHealth, PollingLoop, is_database_trouble

__all__ = ["LOOP_ERRORS", "DispatcherLoop", "LoopHealth"]

log = get_logger(__name__)


class DispatcherLoop:
    NAME = "dispatcher"

    def __init__(
        self,
        dispatch: DispatchMessages,
        *,
        interval: float,
        batch_size: int = 20,
        health: LoopHealth | None = None,
        deadline: float = 60.0,
        wake: asyncio.Event | None = None,
    ) -> None:
        self.dispatch = dispatch
        self._batch_size = batch_size
        self._sending: set[asyncio.Task[None]] = set()
        # ``wake`` is set by the consumer once it has committed a message to send: the loop
        # claims at once (push); between wakes it looks every ``interval`` for retries, held
        # messages and messages another process's consumer recorded.
        self._loop = PollingLoop(
            self.NAME,
            self.round,
            interval=interval,
            deadline=deadline,
            health=health,
            wake=wake or asyncio.Event(),
        )

    @property
    def _interval(self) -> float:
        return self._loop.interval

    @_interval.setter
    def _interval(self, seconds: float) -> None:
        self._loop.interval = seconds

    @property
    def _wake(self) -> asyncio.Event | None:
        """Set by the consumer once it has committed a message (tests replace it)."""
        return self._loop.wake

    @_wake.setter
    def _wake(self, wake: asyncio.Event) -> None:
        self._loop.wake = wake

    async def run(self) -> None:
        """Keep up to ``batch_size`` sends in flight; claim for free slots as soon as one frees."""
        try:
            await self._loop.run()
        finally:
            for task in self._sending:
                task.cancel()  # an interrupted send keeps its lease; it runs out and is claimed
            await asyncio.gather(*self._sending, return_exceptions=True)
            await self.dispatch.providers.aclose()

    async def round(self) -> bool:
        """Claim for the free slots (``False`` when fewer were due: nap until woken); with every
        slot taken, wait for one to free, however long the others take (``True``: claim again)."""
        self._sending = {task for task in self._sending if not task.done()}
        free = self._batch_size - len(self._sending)
        if free > 0:
            claimed = await self.dispatch.claim(free)
            for message in claimed:
                self._sending.add(asyncio.create_task(self.handle(message)))
            return len(claimed) >= free
        await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)
        return True

    async def dispatch_once(self) -> int:
        """Claim one batch of due messages, handle them concurrently and wait for all of them;
        return how many (for tests and tools: ``run`` does not wait for a batch)."""
        claimed = await self.dispatch.claim(self._batch_size)
        await asyncio.gather(*(self.handle(message) for message in claimed))
        return len(claimed)

    async def handle(self, message: ClaimedMessage) -> None:
        """Deliver one message; whatever it raises stays with it."""
        with correlation_scope(f"sms-{message.key.notification_id}"):
            try:
                await self.dispatch.deliver(message)
            except Exception as exc:
                LOOP_ERRORS.labels(loop=self.NAME, scope="message").inc()
                if is_database_trouble(exc):
                    # The lease runs out and the message is claimed again with the same key.
                    log.warning("sms_dispatch_interrupted", error=str(exc))
                else:
                    log.exception(
                        "sms_dispatch_failed", notification_id=str(message.key.notification_id)
                    )
