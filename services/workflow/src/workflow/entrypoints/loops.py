"""Workflow's background loops: the risk sweeper (and, in bootstrap, the dashboard taps).

Each pass of the sweeper runs ``usecases.sweep_risk`` in one transaction of its own. It is a
``shared.loops.PollingLoop``: the loop outlives any one bad pass (a database that is away is
logged as a warning, anything else with its traceback, both counted in
``etapa_loop_errors_total{loop="risk-sweeper"}``), the next pass comes after ``interval``
seconds, and a full batch is followed at once by the next one. ``/ready`` names
``risk-sweeper`` when no pass has completed within :func:`sweeper_deadline`.
"""

from __future__ import annotations

import asyncpg

from shared.clock import Clock
from shared.loops import LoopHealth, PollingLoop
from shared.outbox import committing
from workflow.adapters.postgres.read_cache import ReadCaches
from workflow.adapters.postgres.stores import PostgresStores
from workflow.usecases.order_engine import OrderEngine
from workflow.usecases.sweep_risk import sweep_risk


def sweeper_deadline(interval: float) -> float:
    """Seconds without a completed pass before ``/ready`` says the sweeper is stuck: two
    intervals and a minute for a slow batch."""
    return 2 * interval + 60.0


class RiskSweeper:
    NAME = "risk-sweeper"

    def __init__(
        self,
        pool: asyncpg.Pool,
        engine: OrderEngine,
        clock: Clock,
        *,
        interval: float,
        batch_size: int = 100,
        health: LoopHealth | None = None,
        caches: ReadCaches | None = None,
    ) -> None:
        """``caches``: the process's flow versions and branches (the consumers' too)."""
        self._pool = pool
        self._caches = caches or ReadCaches()
        self._engine = engine
        self._clock = clock
        self._batch_size = batch_size
        self.loop = PollingLoop(
            self.NAME,
            self.round,
            interval=interval,
            deadline=sweeper_deadline(interval),
            health=health,
        )

    async def run(self) -> None:
        await self.loop.run()

    async def round(self) -> bool:
        """One pass; ``True`` (the next at once) when the batch was full."""
        return await self.sweep_once() >= self._batch_size

    async def sweep_once(self) -> int:
        """Assess every order whose timer is due (one batch); returns how many."""
        async with self._pool.acquire() as conn, committing(conn):
            stores = PostgresStores(conn, self._caches)
            return await sweep_risk(stores, self._engine, self._clock(), self._batch_size)
