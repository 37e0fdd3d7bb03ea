"""Orders as the workflow sees them: where each is, when it is due, its risk and its story."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter

from shared.auth import Principal
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from workflow.adapters.postgres import order_reads
from workflow.adapters.postgres.order_reads import OrderFilters
from workflow.entrypoints.http.local_times import in_branch_zone
from workflow.entrypoints.http.schemas import (
    BoardColumn,
    BoardCounters,
    OrderBoard,
    OrderDetail,
    OrderSummary,
)

Text = Annotated[
    str | None, QueryParameter(max_length=100, description="order number, customer name or phone")
]
Assignee = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="`me`: the caller's work list (orders assigned to them); a user id; or a "
        "name given in free text",
    ),
]
DEFAULT_PER_COLUMN = 60
PerColumn = Annotated[
    int, QueryParameter(ge=1, le=200, description="orders shown per stage, the most urgent")
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
        assignee: Assignee = None,
        status: FromQuery[Status | None] = None,
        text: Text = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Orders, newest first, filtered by branch, service type, stage, risk, assignee
        (`assignee=me`: the caller's own work list),
        status (`open`: in progress or paused) or text (order number, customer name, or 8+
        digits of the phone in any format)."""
        filters = _filters(
            principal,
            assignee,
            branch_id=branch,
            service_type=service_type,
            stage=stage,
            risk=risk,
            status=status,
            text=text,
        )
        async with pool.acquire() as conn:
            rows = await order_reads.list_orders(conn, filters, limit=limit, offset=offset)
        local = [in_branch_zone(r, r["branch_timezone"]) for r in rows]
        return page_of([OrderSummary(**r) for r in local], limit, offset)

    @get("/board")
    async def order_board(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        service_type: FromQuery[str],
        branch: FromQuery[UUID | None] = None,
        risk: FromQuery[Risk | None] = None,
        assignee: Assignee = None,
        text: Text = None,
        per_column: PerColumn = DEFAULT_PER_COLUMN,
    ) -> OrderBoard:
        """The open orders of one service type as a board: per stage, how many there are and
        the `per_column` most urgent (overdue, at risk, on track; then the stage due soonest;
        then the number), with counters over all of them. The same filters as the list."""
        filters = _filters(
            principal,
            assignee,
            branch_id=branch,
            service_type=service_type,
            risk=risk,
            status="open",
            text=text,
        )
        async with (
            pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            rows, counters, assignees = await order_reads.board(
                conn, filters, per_column=per_column
            )
        columns: dict[str | None, BoardColumn] = {}
        for row in rows:
            column = columns.get(row["stage_key"])
            if column is None:
                column = columns[row["stage_key"]] = BoardColumn(
                    stage_key=row["stage_key"],
                    stage_name=row["stage_name"],
                    count=row["column_count"],
                    orders=[],
                )
            column.orders.append(OrderSummary(**in_branch_zone(row, row["branch_timezone"])))
        return OrderBoard(
            counters=BoardCounters(**counters),
            columns=list(columns.values()),
            assignees=assignees,
        )

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


def _filters(principal: Principal, assignee: str | None, **narrowing: Any) -> OrderFilters:
    """The caller's orders (their chain, the branches they see) narrowed as asked."""
    return OrderFilters(
        chain_id=principal.chain_id,
        branches=principal.visible_branches(),
        **narrowing,
        **_assignee_filter(assignee, principal),
    )


def _assignee_filter(assignee: str | None, principal: Principal) -> dict[str, Any]:
    """An ``assignee`` filter as a user id (``me`` is the caller; a UUID is itself), or else
    as a name given in free text."""
    if assignee is None:
        return {}
    if assignee.strip().lower() == "me":
        return {"assignee_id": principal.user_id}
    try:
        return {"assignee_id": UUID(assignee.strip())}
    except ValueError:
        return {"assignee": assignee}
