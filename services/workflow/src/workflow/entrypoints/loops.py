"""The risk sweeper: wakes the orders whose risk timer is due and assesses them again.

Timers are ``orders.risk_check_at`` (set by every assessment to the next instant at which the
level could change on its own). Each pass claims due open orders with ``FOR UPDATE SKIP
LOCKED`` in one transaction, so several workflow replicas share the work and never assess the
same order at once; a level is published only when it changes, so an order that stays overdue
is announced once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID

import asyncpg

from shared.clock import Clock
from shared.database import Connection
from shared.logging import get_logger
from workflow.adapters.postgres import order_store, risk_timers
from workflow.usecases.order_engine import OrderEngine

log = get_logger(__name__)

RETRY_AFTER = timedelta(minutes=10)
"""When an order's assessment fails, its timer is tried again this much later."""


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
            due = await risk_timers.due_for_risk_check(conn, self._clock(), self._batch_size)
            for order_id in due:
                try:
                    async with conn.transaction():  # a savepoint: one bad order stops no other
                        await self._assess(conn, order_id)
                except Exception:
                    log.exception("risk_assessment_failed", order_id=str(order_id))
                    await risk_timers.postpone(conn, order_id, RETRY_AFTER)
        return len(due)

    async def _assess(self, conn: Connection, order_id: UUID) -> None:
        chain_id = await conn.fetchval("SELECT chain_id FROM orders WHERE order_id = $1", order_id)
        order = await order_store.load(conn, chain_id, order_id)
        if order is None or order.state is None or not order.state.is_open:
            return
        flow = await order_store.flow_of(
            conn, chain_id, order.service_type, order.state.flow_version
        )
        await self._engine.assess(conn, order, order.state, flow)
