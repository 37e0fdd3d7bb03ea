"""Analytics from real order history: lead times, stage times, slowest stages, on-time rate."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Annotated
from uuid import UUID

import asyncpg
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import FromQuery, QueryParameter

from shared.auth import Principal
from shared.clock import Clock
from workflow.adapters.postgres import analytics
from workflow.adapters.postgres.analytics import GroupBy

DEFAULT_DAYS = 30
From = Annotated[
    date | None, QueryParameter(name="from", description="first day (default: 30 days ago)")
]
To = Annotated[date | None, QueryParameter(name="to", description="last day (default: today)")]
Slowest = Annotated[int, QueryParameter(ge=1, le=50, description="how many stages")]


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _period(date_from: date | None, date_to: date | None, clock: Clock) -> tuple[date, date]:
    for name, day in (("from", date_from), ("to", date_to)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationException(f"{name}: {day} is outside 2000-01-01 … 2100-12-31")
    last = date_to or clock().astimezone(UTC).date()
    first = date_from or last - timedelta(days=DEFAULT_DAYS)
    if first > last:
        raise ValidationException(f"from: {first} is after to ({last})")
    return first, last


def _branches(principal: Principal, branch: UUID | None) -> frozenset[UUID] | None:
    """One branch when asked for (404 unless visible), else every branch the user sees."""
    if branch is None:
        return principal.visible_branches()
    principal.require_branch(branch)
    return frozenset({branch})


class AnalyticsController(Controller):
    path = "/api/v1/analytics"
    tags = ["analytics"]

    @get("/lead-times")
    async def lead_times(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        by: FromQuery[GroupBy] = "service_type",
        branch: FromQuery[UUID | None] = None,
        date_from: From = None,
        date_to: To = None,
    ) -> dict[str, object]:
        """Opening-to-delivery hours (average, median, p90) and on-time rate of the orders
        delivered in the period, per service type, branch or lab (``by``)."""
        first, last = _period(date_from, date_to, clock)
        async with pool.acquire() as conn:
            items = await analytics.lead_times(
                conn,
                chain_id=principal.chain_id,
                branches=_branches(principal, branch),
                date_from=first,
                date_to=last,
                by=by,
            )
        return {"from": first, "to": last, "by": by, "items": items}

    @get("/stage-times")
    async def stage_times(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        branch: FromQuery[UUID | None] = None,
        service_type: FromQuery[str | None] = None,
        date_from: From = None,
        date_to: To = None,
    ) -> dict[str, object]:
        """Hours in each stage (average, median, p90), late rate and average lateness, per
        service type and stage, over the stays that ended in the period."""
        first, last = _period(date_from, date_to, clock)
        async with pool.acquire() as conn:
            items = await analytics.stage_times(
                conn,
                chain_id=principal.chain_id,
                branches=_branches(principal, branch),
                date_from=first,
                date_to=last,
                service_type=service_type,
            )
        return {"from": first, "to": last, "items": items}

    @get("/slowest-stages")
    async def slowest_stages(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        branch: FromQuery[UUID | None] = None,
        limit: Slowest = 5,
        date_from: From = None,
        date_to: To = None,
    ) -> dict[str, object]:
        """The stages with the highest average time in the period, slowest first."""
        first, last = _period(date_from, date_to, clock)
        async with pool.acquire() as conn:
            items = await analytics.stage_times(
                conn,
                chain_id=principal.chain_id,
                branches=_branches(principal, branch),
                date_from=first,
                date_to=last,
                service_type=None,
                slowest=limit,
            )
        return {"from": first, "to": last, "items": items}

    @get("/on-time")
    async def on_time(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        branch: FromQuery[UUID | None] = None,
        date_from: From = None,
        date_to: To = None,
    ) -> dict[str, object]:
        """Orders delivered in the period, how many on or before the promised date, and the rate."""
        first, last = _period(date_from, date_to, clock)
        async with pool.acquire() as conn:
            totals = await analytics.on_time(
                conn,
                chain_id=principal.chain_id,
                branches=_branches(principal, branch),
                date_from=first,
                date_to=last,
            )
        return {"from": first, "to": last, **totals}
