"""Sweep risk: assess again the orders whose risk timer is due.

Timers are ``orders.risk_check_at`` (set by every assessment to the next instant at which the
level could change on its own). One pass claims a batch of due open orders (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so several replicas share the work and never assess one order at
once) and assesses each in a savepoint: one bad order stops no other, its timer is tried again
``RETRY_AFTER`` later. A level is published only when it changes, so an order that stays
overdue is announced once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from shared.logging import get_logger
from workflow.usecases.order_engine import OrderEngine
from workflow.usecases.ports import Stores

log = get_logger(__name__)

RETRY_AFTER = timedelta(minutes=10)
"""When an order's assessment fails, its timer is tried again this much later."""


async def sweep_risk(stores: Stores, engine: OrderEngine, now: datetime, batch_size: int) -> int:
    """Assess every order whose timer is due at ``now`` (one batch); returns how many."""
    due = await stores.orders.due_for_risk_check(now, batch_size)
    for order_id in due:
        try:
            async with stores.savepoint():
                await _assess(stores, engine, order_id)
        except Exception:
            log.exception("risk_assessment_failed", order_id=str(order_id))
            await stores.orders.postpone_risk_check(order_id, now + RETRY_AFTER)
    return len(due)


async def _assess(stores: Stores, engine: OrderEngine, order_id: UUID) -> None:
    chain_id = await stores.orders.chain_of(order_id)
    order = None if chain_id is None else await stores.orders.load(chain_id, order_id)
    if order is None or order.state is None or not order.state.is_open:
        return
    flow = await stores.flows.for_order(
        order.chain_id, order.service_type, order.state.flow_version
    )
    await engine.assess(stores, order, order.state, flow)
