"""The notifier's background loops (the dispatcher; the early delivery reports), on the
chassis's polling loop.

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

**A stopping dispatcher lets its sends in flight finish**, for up to ``stop_grace`` seconds
(``NOTIFIER_STOP_GRACE``, 5): it claims nothing more, and a send that finishes is recorded as
usual. What is still in flight then is cancelled and keeps its claim's lease, so another
process sends it when the lease runs out (about a minute late: which is what every send in
flight used to wait after a deploy or a scale-down under load).
"""

from __future__ import annotations

import asyncio

from opentelemetry.trace import NoOpTracer, Tracer

from notifier.usecases.delivery_report import apply_early_reports
from notifier.usecases.dispatch import DispatchMessages
from notifier.usecases.ports import UnitOfWork
from notifier.usecases.records import ClaimedMessage
from shared.clock import Clock
from shared.logging import correlation_scope, get_logger
from shared.loops import LOOP_ERRORS, LoopHealth, PollingLoop, is_database_trouble
from shared.tracing import CORRELATION_ATTRIBUTE, continued

__all__ = ["LOOP_ERRORS", "DispatcherLoop", "LoopHealth", "early_reports_loop"]

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
        tracer: Tracer | None = None,
        stop_grace: float = 5.0,
    ) -> None:
        self.dispatch = dispatch
        self._stop_grace = stop_grace
        self._tracer = tracer or NoOpTracer()
        """Each delivery is a span in its order's trace (``shared.tracing``; no-op when off)."""
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
            try:
                await self._finish_sending()
            finally:
                await self.dispatch.providers.aclose()

    async def _finish_sending(self) -> None:
        """On stop: give the sends in flight up to ``stop_grace`` seconds, then cancel the rest
        (an interrupted send keeps its lease; it runs out and the message is claimed again)."""
        sending = {task for task in self._sending if not task.done()}
        if not sending:
            return
        pending = sending
        try:
            _, pending = await asyncio.wait(sending, timeout=self._stop_grace)
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            log.info(
                "dispatcher_stopped",
                finished=len(sending) - len(pending),
                interrupted=len(pending),
            )

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
        correlation_id = message.key.correlation_id or f"sms-{message.key.notification_id}"
        with (
            correlation_scope(correlation_id),
            continued(message.trace_context),  # the order's trace, from the stage change
            self._tracer.start_as_current_span(
                "sms deliver",
                attributes={
                    CORRELATION_ATTRIBUTE: correlation_id,
                    "etapa.order_id": str(message.key.order_id),
                    "etapa.order_number": message.order_number,
                    "sms.attempt": message.attempts,
                },
            ),
        ):
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


EARLY_REPORTS = "early-reports"
EARLY_REPORTS_INTERVAL = 1.0
"""Seconds between looks for kept delivery reports whose message is now ``sent``."""
EARLY_REPORTS_DEADLINE = 60.0


def early_reports_loop(
    uow: UnitOfWork, clock: Clock, health: LoopHealth, interval: float = EARLY_REPORTS_INTERVAL
) -> PollingLoop:
    """Applies the delivery reports that arrived before their message's ``sent`` was written
    (``usecases.delivery_report``): one query a second while none are kept."""
    return PollingLoop(
        EARLY_REPORTS,
        lambda: apply_early_reports(uow, clock()),
        interval=interval,
        deadline=EARLY_REPORTS_DEADLINE,
        health=health,
    )
