"""Orders as the workflow sees them: where each is, when it is due, and its whole story."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter

from shared.auth import Principal
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from workflow.adapters import orders
from workflow.api.schemas import OrderDetail, OrderSummary, TimelineEntry

Text = Annotated[str | None, QueryParameter(max_length=100, description="order number or customer")]


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]

    @get("/")
    async def list_orders(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        branch: FromQuery[UUID | None] = None,
        service_type: FromQuery[str | None] = None,
        stage: FromQuery[str | None] = None,
        text: Text = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Open orders, newest first, filtered by branch, service type, stage or text."""
        async with pool.acquire() as conn:
            rows = await orders.list_orders(
                conn,
                chain_id=principal.chain_id,
                branches=principal.visible_branches(),
                branch_id=branch,
                service_type=service_type,
                stage=stage,
                text=text,
                limit=limit,
                offset=offset,
            )
        return page_of([OrderSummary(**r) for r in rows], limit, offset)

    @get("/{order_id:uuid}")
    async def get_order(
        self,
        order_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> OrderDetail:
        """Everything about one order: its stage, due time with explanation, and timeline."""
        async with pool.acquire() as conn:
            row = await orders.get_order(conn, principal.chain_id, order_id)
            if row is None or not principal.may_see_branch(row["branch_id"]):
                raise NotFoundException(f"order {order_id} not found")
            timeline = await orders.get_timeline(conn, order_id)
        return OrderDetail(**row, timeline=[TimelineEntry(**t) for t in timeline])
