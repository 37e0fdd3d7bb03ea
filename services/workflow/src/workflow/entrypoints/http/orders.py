"""Orders as the workflow sees them: where each is, when it is due, its risk and its story."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter

from shared.auth import Principal
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from workflow.adapters.postgres import order_reads
from workflow.entrypoints.http.local_times import in_branch_zone
from workflow.entrypoints.http.schemas import OrderDetail, OrderSummary

Text = Annotated[
    str | None, QueryParameter(max_length=100, description="order number, customer name or phone")
]
Risk = Literal["on_track", "at_risk", "overdue"]
Status = Literal["open", "in_progress", "paused", "delivered", "cancelled", "needs_attention"]


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
        risk: FromQuery[Risk | None] = None,
        assignee: FromQuery[str | None] = None,
        status: FromQuery[Status | None] = None,
        text: Text = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Orders, newest first, filtered by branch, service type, stage, risk, assignee,
        status (`open`: in progress or paused) or text (order number, customer name, or 8+
        digits of the phone in any format)."""
        async with pool.acquire() as conn:
            rows = await order_reads.list_orders(
                conn,
                chain_id=principal.chain_id,
                branches=principal.visible_branches(),
                branch_id=branch,
                service_type=service_type,
                stage=stage,
                risk=risk,
                assignee=assignee,
                status=status,
                text=text,
                limit=limit,
                offset=offset,
            )
        local = [in_branch_zone(r, r["branch_timezone"]) for r in rows]
        return page_of([OrderSummary(**r) for r in local], limit, offset)

    @get("/{order_id:uuid}")
    async def get_order(
        self,
        order_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> OrderDetail:
        """Everything about one order: stages with planned, due and actual times, timeline,
        lab updates, customer messages, risk, pause state, assignee and linked remakes.

        Read in one snapshot (repeatable read): a change committed between the order's queries
        (a lab status writes its update and its timeline entry together) shows whole or not."""
        async with (
            pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            row = await order_reads.get_order(conn, principal.chain_id, order_id)
            if row is None or not principal.may_see_branch(row["branch_id"]):
                raise NotFoundException(f"order {order_id} not found")
            history = await order_reads.get_history(conn, order_id)
            original = (
                await order_reads.order_number(conn, principal.chain_id, row["reopened_from"])
                if row["reopened_from"]
                else None
            )
        zone = row["branch_timezone"]
        return OrderDetail(
            **in_branch_zone(row, zone),
            **in_branch_zone(history, zone),
            paused=row["status"] == "paused",
            clock_stopped=row["paused_at"] is not None,
            reopened_from_number=original,
        )
