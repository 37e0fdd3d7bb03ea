"""The quote: a proposed promised date for a service type in a branch, stage by stage.

``GET /api/v1/quote?service_type=&branch=&start=`` chains every stage of the service type's
latest flow from ``start`` (default: now) in the branch's calendar. ``start`` without a UTC
offset is read as the branch's local time. An unknown (or inactive) service type or a branch
the caller cannot see is 404; a ``start`` that is not a date-time, or more than a year before or
two years after now, is 400.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
from litestar import get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import QueryParameter

from shared.auth import Principal
from shared.clock import Clock
from workflow.adapters.holidays import CalendarCache
from workflow.adapters.postgres.branches import PostgresBranchStore
from workflow.adapters.postgres.flows import PostgresFlowStore
from workflow.entrypoints.http.config_schemas import QuotedStage, QuoteOut
from workflow.usecases.quote import NothingToQuote, quote_basis

ServiceTypeCode = Annotated[
    str, QueryParameter(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="e.g. troca")
]
Start = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        description="ISO date-time, e.g. 2026-02-13T10:00-03:00; without offset: branch time",
    ),
]
EARLIEST, LATEST = timedelta(days=365), timedelta(days=2 * 365)


@get("/api/v1/quote", tags=["quote"])
async def get_quote(
    service_type: ServiceTypeCode,
    branch: Annotated[UUID, QueryParameter(description="the branch's id")],
    pool: NamedDependency[asyncpg.Pool],
    principal: NamedDependency[Principal],
    clock: NamedDependency[Clock],
    calendars: NamedDependency[CalendarCache],
    start: Start = None,
) -> QuoteOut:
    """When an order started at ``start`` would be ready: per-stage due times and why."""
    now = clock()
    principal.require_branch(branch)
    async with pool.acquire() as conn:
        try:
            basis = await quote_basis(
                PostgresBranchStore(conn),
                PostgresFlowStore(conn),
                calendars,
                principal.chain_id,
                branch,
                service_type,
                now,
            )
        except NothingToQuote as missing:
            raise NotFoundException(str(missing)) from None
    branch_row, flow = basis.branch, basis.flow
    begin = _start(start, ZoneInfo(branch_row.timezone), now)
    quoted = basis.starting(begin)
    return QuoteOut(
        service_type=flow.service_type,
        service_type_name=flow.name,
        flow_version=flow.version,
        branch_id=branch,
        branch_code=branch_row.code,
        timezone=branch_row.timezone,
        start=quoted.projection.started_at,
        due_at=quoted.due_at,
        promised_date=quoted.promised_date,
        explanation=quoted.describe(),
        stages=[
            QuotedStage(
                position=position,
                key=stage.key,
                name=stage.name,
                planned_days=stage.planned_days,
                counting=stage.counting,
                pauses_clock=stage.pauses_clock,
                starts_at=stage_start,
                due_at=deadline.due_at,
                explanation=deadline.describe(),
            )
            for position, (stage, deadline, stage_start) in enumerate(
                zip(
                    flow.stages,
                    quoted.projection.stage_deadlines,
                    [
                        quoted.projection.started_at,
                        *(d.due_at for d in quoted.projection.stage_deadlines[:-1]),
                    ],
                    strict=True,
                )
            )
        ],
    )


def _start(raw: str | None, zone: ZoneInfo, now: datetime) -> datetime:
    if raw is None:
        return now.astimezone(zone)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationException(
            f"start: {raw!r} is not an ISO date-time (e.g. 2026-02-13T10:00-03:00)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if not now - EARLIEST <= parsed <= now + LATEST:
        raise ValidationException("start: must be from a year ago to two years from now")
    return parsed
