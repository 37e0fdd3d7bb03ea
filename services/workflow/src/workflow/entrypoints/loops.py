"""Workflow's background loops: the risk sweeper (and, in bootstrap, the dashboard taps).

Each pass of the sweeper runs ``usecases.sweep_risk`` in one transaction of its own. The loop
outlives any one bad pass: a database that is away is logged as a warning, anything else with
its traceback, and the next pass comes after ``interval`` seconds. A full batch is followed at
once by the next one.
"""

from __future__ import annotations

import asyncio

import asyncpg

from shared.clock import Clock
from shared.logging import get_logger
from workflow.adapters.postgres.stores import PostgresStores
from workflow.usecases.order_engine import OrderEngine
from workflow.usecases.sweep_risk import sweep_risk

log = get_logger(__name__)


class RiskSweeper:
    def __init__(
        self,
        pool: asyncpg.Pool,
        engine: OrderEngine,
        clock: Clock,
        *,
        interval: float,
        batch_size: int = 100,
    ) -> None:
        self._pool = pool
        self._engine = engine
        self._clock = clock
        self._interval = interval
        self._batch_size = batch_size

    async def run(self) -> None:
        while True:
            try:
                swept = await self.sweep_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("risk_sweeper_database_unavailable", error=str(exc))
                swept = 0
            except Exception:  # the loop must outlive any one bad pass
                log.exception("risk_sweep_failed")
                swept = 0

            if swept < self._batch_size:
                await asyncio.sleep(self._interval)

    async def sweep_once(self) -> int:
        """Assess every order whose timer is due (one batch); returns how many."""
        async with self._pool.acquire() as conn, conn.transaction():
            stores = PostgresStores(conn)
            return await sweep_risk(stores, self._engine, self._clock(), self._batch_size)
