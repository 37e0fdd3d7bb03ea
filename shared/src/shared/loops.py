"""Polling loops — the outbox relay, workflow's risk sweeper, the notifier's dispatcher, the
token-validity reload — and how ``/ready`` knows they are alive.

Rules:
- **No exception ends a loop.** Each round is caught whole: a database that is away is logged
  as a warning (the first of a run of failures only, then once when a round succeeds again),
  anything else (a bug, a bad time zone reaching ``ZoneInfo``, a ``KeyError``) with its
  traceback every time; both are counted in ``etapa_loop_errors_total{loop, scope="round"}``
  and the loop goes on after its interval. Cancelling the task still stops it.
- **A loop that stops completing rounds turns ``/ready`` red.** Every round that ends without
  an error beats the loop's heart (:class:`LoopHealth`, counted in
  ``etapa_loop_rounds_total{loop}``); the ``/ready`` check ``loops`` fails (503) naming each
  loop whose last beat is older than its deadline. A loop is expected from the moment it is
  registered, so one that never starts turns ``/ready`` red too.
- **A round says whether to go on at once.** It returns ``True`` when there is more to do now
  (a full batch) and ``False`` to wait ``interval`` seconds — or less, when ``wake`` is set
  (a NOTIFY, a consumer that just committed a message to send).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from prometheus_client import Counter

from shared.database import is_database_outage
from shared.logging import get_logger

log = get_logger(__name__)

LOOP_ERRORS = Counter(
    "etapa_loop_errors_total",
    "Errors a background loop caught and lived through, by loop and scope "
    "(round: a whole round; message: one message of it).",
    ["loop", "scope"],
)
LOOP_ROUNDS = Counter("etapa_loop_rounds_total", "Rounds a background loop completed.", ["loop"])

Round = Callable[[], Awaitable[bool]]
"""One round of a loop: ``True`` when there is more to do at once, ``False`` to wait."""


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

    @property
    def loops(self) -> tuple[str, ...]:
        """The loops expected, in the order they were registered."""
        return tuple(self._hearts)

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


def is_database_trouble(exc: BaseException) -> bool:
    """A database that is away or refused the round: a warning, not a bug."""
    return is_database_outage(exc) or isinstance(
        exc, asyncpg.PostgresError | asyncpg.InterfaceError
    )


class PollingLoop:
    """Runs ``round`` for ever: caught, counted, beating ``health`` after each round."""

    def __init__(
        self,
        name: str,
        round: Round,
        *,
        interval: float,
        deadline: float,
        health: LoopHealth | None = None,
        wake: asyncio.Event | None = None,
    ) -> None:
        self.name = name
        self._round = round
        self.interval = interval
        self.health = health or LoopHealth()
        self.health.register(name, deadline)
        self.wake = wake
        self._failing = False

    async def run(self) -> None:
        while True:
            try:
                more = await self._round()
            except Exception as exc:
                self.survive(exc)
                await asyncio.sleep(self.interval)
                continue
            if self._failing:
                self._failing = False
                log.info("loop_recovered", loop=self.name)
            self.health.beat(self.name)
            if not more:
                await self.nap()

    async def nap(self) -> None:
        """``interval`` seconds, or until ``wake`` is set."""
        if self.wake is None:
            await asyncio.sleep(self.interval)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), self.interval)
        self.wake.clear()

    def survive(self, exc: Exception) -> None:
        """Log and count a round's error; the loop goes on."""
        LOOP_ERRORS.labels(loop=self.name, scope="round").inc()
        if is_database_trouble(exc):
            if not self._failing:
                log.warning("loop_database_unavailable", loop=self.name, error=str(exc))
        else:
            # A bug must not end the loop for good: log it, count it, and go on.
            log.exception("loop_round_failed", loop=self.name)
        self._failing = True
