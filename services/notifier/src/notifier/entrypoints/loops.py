"""The notifier's background loop (the dispatcher), and how ``/ready`` knows it is alive.

**No exception ends a loop.** Each round is caught whole: a database outage is logged as a
warning, anything else (a bug, a bad time zone reaching ``ZoneInfo``, a ``KeyError``) is logged
with its traceback; both are counted in ``etapa_notifier_loop_errors_total{loop, scope}`` and
the loop goes on after its interval. One message's error stays with that message (its lease
runs out and it is claimed again); it never cancels the batch's other sends.

**A loop that stops completing rounds turns ``/ready`` red.** Every round that ends without an
error beats the loop's heart (:class:`LoopHealth`); the ``/ready`` check ``loops`` fails (503)
naming the loop when its last beat is older than its deadline — for the dispatcher, twice a
send lease plus 30 s, longer than any round can take when every slot waits on a slow provider.

The dispatcher keeps up to ``batch_size`` sends in flight, each in its own task with its own
deadline per provider request, and claims as many messages as there are free slots as soon as
one frees, so one hanging request holds one slot, not a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from opentelemetry.trace import NoOpTracer, Tracer
from prometheus_client import Counter

from notifier.usecases.dispatch import DispatchMessages
from notifier.usecases.records import ClaimedMessage
from shared.database import is_database_outage
from shared.logging import correlation_scope, get_logger
from shared.tracing import CORRELATION_ATTRIBUTE, continued

log = get_logger(__name__)

LOOP_ERRORS = Counter(
    "etapa_notifier_loop_errors_total",
    "Errors a notifier background loop caught and lived through, by loop and scope "
    "(round: a whole round; message: one message of it).",
    ["loop", "scope"],
)
LOOP_ROUNDS = Counter(
    "etapa_notifier_loop_rounds_total", "Rounds a notifier background loop completed.", ["loop"]
)


@dataclass
class _Heart:
    deadline: float
    last_beat: float


class LoopHealth:
    """When each background loop last completed a round; read by ``/ready``."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._hearts: dict[str, _Heart] = {}

    def register(self, loop: str, deadline: float) -> None:
        """Expect a round of ``loop`` every ``deadline`` seconds from now on."""
        self._hearts[loop] = _Heart(deadline, self._monotonic())

    def beat(self, loop: str) -> None:
        self._hearts[loop].last_beat = self._monotonic()
        LOOP_ROUNDS.labels(loop=loop).inc()

    def stuck(self) -> dict[str, float]:
        """The loops past their deadline, with the seconds since their last round."""
        now = self._monotonic()
        return {
            loop: now - heart.last_beat
            for loop, heart in self._hearts.items()
            if now - heart.last_beat > heart.deadline
        }

    async def check(self) -> None:
        """A ``/ready`` check: raises naming every loop past its deadline."""
        stuck = self.stuck()
        if stuck:
            raise RuntimeError(
                "; ".join(
                    f"{loop}: no round completed for {age:.0f} s "
                    f"(deadline {self._hearts[loop].deadline:.0f} s)"
                    for loop, age in sorted(stuck.items())
                )
            )


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
    ) -> None:
        self.dispatch = dispatch
        self._tracer = tracer or NoOpTracer()
        """Each delivery is a span in its order's trace (``shared.tracing``; no-op when off)."""
        self._interval = interval
        self._wake = wake or asyncio.Event()
        """Set by the consumer once it has committed a message to send: the loop claims at
        once (push); between wakes it looks every ``interval`` for retries, held messages and
        messages another process's consumer recorded."""
        self._batch_size = batch_size
        self._health = health or LoopHealth()
        self._health.register(self.NAME, deadline)

    async def run(self) -> None:
        """Keep up to ``batch_size`` sends in flight; claim for free slots as soon as one frees."""
        sending: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    sending = {task for task in sending if not task.done()}
                    free = self._batch_size - len(sending)
                    if free > 0:
                        claimed = await self.dispatch.claim(free)
                        for message in claimed:
                            sending.add(asyncio.create_task(self.handle(message)))
                        self._health.beat(self.NAME)
                        if len(claimed) < free:  # nothing more is due now
                            await self._nap()
                        continue
                    # Every slot is taken: wait for one to free, however long the others take.
                    await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
                    self._health.beat(self.NAME)
                except Exception as exc:
                    self._survive(exc)
                    await asyncio.sleep(self._interval)
        finally:
            for task in sending:
                task.cancel()  # an interrupted send keeps its lease; it runs out and is claimed
            await asyncio.gather(*sending, return_exceptions=True)
            await self.dispatch.providers.aclose()

    async def _nap(self) -> None:
        """Until the consumer commits a message (push) or ``interval`` passes."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._interval)
        self._wake.clear()

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
                if is_database_outage(exc) or _is_database_error(exc):
                    # The lease runs out and the message is claimed again with the same key.
                    log.warning("sms_dispatch_interrupted", error=str(exc))
                else:
                    log.exception(
                        "sms_dispatch_failed", notification_id=str(message.key.notification_id)
                    )

    def _survive(self, exc: Exception) -> None:
        LOOP_ERRORS.labels(loop=self.NAME, scope="round").inc()
        if is_database_outage(exc) or _is_database_error(exc):
            log.warning("dispatcher_database_unavailable", error=str(exc))
        else:
            # A bug must not end the dispatcher for good: log it, count it, and go on.
            log.exception("dispatcher_round_failed")


def _is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError)
