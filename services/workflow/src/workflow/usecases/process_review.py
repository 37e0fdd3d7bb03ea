"""Process review use cases: what-if, suggestions, the review's figures, owners, records.

Reads of history run in a REPEATABLE READ READ ONLY transaction: one consistent snapshot of
the orders and their stage entries, which takes no row locks, so the live order flow (the
consumers' writes) never waits for a what-if. Calendars come from the shared cache.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from shared.database import Connection
from workflow.adapters import flows
from workflow.adapters.calendars import CalendarCache
from workflow.adapters.postgres import reviews
from workflow.domain.flow import FlowVersion
from workflow.domain.history import DeadlineMemo, HistoricalOrder
from workflow.domain.planned_days import (
    PromiseSuggestion,
    StageSuggestion,
    suggest_promises,
    suggest_stage_days,
)
from workflow.domain.process_review import (
    Cadence,
    PeriodFigures,
    ReviewDue,
    period_figures,
    review_due,
    review_periods,
)
from workflow.domain.what_if import Comparison, DraftStage, compare

Branches = frozenset[UUID] | None
DEFAULT_ZONE = "America/Sao_Paulo"


class UnknownType(LookupError):
    """The chain has no such service type."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    flow: FlowVersion
    orders: list[HistoricalOrder]
    memos: dict[str, DeadlineMemo]


async def _snapshot(
    conn: Connection,
    calendars: CalendarCache,
    chain_id: UUID,
    code: str,
    date_from: date,
    date_to: date,
    branches: Branches,
    now: datetime,
) -> Snapshot:
    flow = await flows.latest_flow(conn, chain_id, code)
    if flow is None:
        raise UnknownType(code)
    orders = await reviews.delivered_history(conn, chain_id, code, date_from, date_to, branches)
    memos = await _memos(conn, calendars, chain_id, now)
    return Snapshot(flow, orders, memos)


async def _memos(
    conn: Connection, calendars: CalendarCache, chain_id: UUID, now: datetime
) -> dict[str, DeadlineMemo]:
    return {
        str(row["branch_id"]): DeadlineMemo(calendars.for_branch(row, now))
        for row in await reviews.chain_branches(conn, chain_id)
    }


@asynccontextmanager
async def read_only(conn: Connection) -> AsyncIterator[None]:
    """One snapshot, no locks: REPEATABLE READ READ ONLY (and no JIT: its compile time is
    more than it saves on these queries)."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute("SET LOCAL jit = off")
        yield


@dataclass(frozen=True, slots=True)
class WhatIf:
    flow: FlowVersion
    comparison: Comparison


async def what_if(
    conn: Connection,
    calendars: CalendarCache,
    *,
    chain_id: UUID,
    code: str,
    draft: Sequence[DraftStage],
    date_from: date,
    date_to: date,
    branches: Branches,
    now: datetime,
) -> WhatIf:
    async with read_only(conn):
        snap = await _snapshot(conn, calendars, chain_id, code, date_from, date_to, branches, now)
    return WhatIf(snap.flow, compare(snap.orders, snap.flow.stages, draft, snap.memos))


@dataclass(frozen=True, slots=True)
class Suggestions:
    flow: FlowVersion
    stages: tuple[StageSuggestion, ...]
    promises: tuple[PromiseSuggestion, ...]


async def planned_days_suggestions(
    conn: Connection,
    calendars: CalendarCache,
    *,
    chain_id: UUID,
    code: str,
    share: float,
    date_from: date,
    date_to: date,
    branches: Branches,
    now: datetime,
) -> Suggestions:
    async with read_only(conn):
        snap = await _snapshot(conn, calendars, chain_id, code, date_from, date_to, branches, now)
        stays = await reviews.finished_stays(conn, chain_id, code, date_from, date_to, branches)
    return Suggestions(
        snap.flow,
        suggest_stage_days(snap.flow.stages, stays, snap.memos, share),
        suggest_promises(snap.orders, snap.memos),
    )


@dataclass(frozen=True, slots=True)
class Schedule:
    code: str
    name: str
    version: int | None
    owner_id: UUID | None
    owner_name: str | None
    cadence: Cadence | None
    owner_since: datetime | None
    last_reviewed_at: datetime | None
    due: ReviewDue | None


def schedule_of(row: dict[str, Any], today: date) -> Schedule:
    cadence = Cadence(row["review_cadence"]) if row["review_cadence"] else None
    due = None
    if cadence is not None and row["process_owner"] is not None and row["owner_since"]:
        last = row["last_reviewed_at"]
        due = review_due(cadence, last.date() if last else None, row["owner_since"].date(), today)
    return Schedule(
        code=row["code"],
        name=row["name"],
        version=row["version"],
        owner_id=row["process_owner"],
        owner_name=row["process_owner_name"],
        cadence=cadence,
        owner_since=row["owner_since"],
        last_reviewed_at=row["last_reviewed_at"],
        due=due,
    )


def chain_today(now: datetime) -> date:
    """Review days are the chain's days; the demo chains and most branches are on Brasília."""
    return now.astimezone(ZoneInfo(DEFAULT_ZONE)).date()


async def schedules(conn: Connection, chain_id: UUID, now: datetime) -> list[Schedule]:
    today = chain_today(now)
    return [schedule_of(row, today) for row in await reviews.schedules(conn, chain_id)]


@dataclass(frozen=True, slots=True)
class ReviewFigures:
    schedule: Schedule
    flow: FlowVersion
    period_from: date
    period_to: date
    previous_from: date
    previous_to: date
    current: PeriodFigures
    previous: PeriodFigures


async def review_figures(
    conn: Connection,
    calendars: CalendarCache,
    *,
    chain_id: UUID,
    code: str,
    branches: Branches,
    now: datetime,
) -> ReviewFigures:
    """The period's figures beside the previous period's (the cadence's length; monthly when
    the type has no cadence yet)."""
    today = chain_today(now)
    async with read_only(conn):
        row = await reviews.schedule(conn, chain_id, code)
        if row is None:
            raise UnknownType(code)
        sched = schedule_of(row, today)
        period, previous = review_periods(sched.cadence or Cadence.MONTHLY, today)
        snap = await _snapshot(
            conn, calendars, chain_id, code, previous.first, period.last, branches, now
        )
    now_orders: list[tuple[HistoricalOrder, date]] = []
    before_orders: list[tuple[HistoricalOrder, date]] = []
    for order in snap.orders:
        day = snap.memos[order.branch].local_day(order.delivered_at)
        (now_orders if day >= period.first else before_orders).append((order, day))
    return ReviewFigures(
        schedule=sched,
        flow=snap.flow,
        period_from=period.first,
        period_to=period.last,
        previous_from=previous.first,
        previous_to=previous.last,
        current=period_figures(now_orders, snap.flow.stages),
        previous=period_figures(before_orders, snap.flow.stages),
    )


async def set_owner(
    conn: Connection,
    *,
    chain_id: UUID,
    code: str,
    owner: UUID | None,
    owner_name: str | None,
    cadence: Cadence | None,
    now: datetime,
) -> Schedule:
    async with conn.transaction():
        found = await reviews.set_owner(
            conn,
            chain_id,
            code,
            owner=owner,
            owner_name=owner_name,
            cadence=None if cadence is None else cadence.value,
            now=now,
        )
        if not found:
            raise UnknownType(code)
        row = await reviews.schedule(conn, chain_id, code)
    assert row is not None
    return schedule_of(row, chain_today(now))


async def list_reviews(
    conn: Connection, chain_id: UUID, code: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    return await reviews.list_reviews(conn, chain_id, code, limit, offset)


class NoSuchVersion(ValueError):
    """The resulting flow version named by a review does not exist."""


async def record_review(
    conn: Connection,
    *,
    chain_id: UUID,
    code: str,
    reviewer: UUID,
    reviewer_name: str,
    findings: str,
    decisions: str,
    resulting_version: int | None,
    period_from: date,
    period_to: date,
    figures: PeriodFigures | None,
    now: datetime,
) -> dict[str, Any]:
    async with conn.transaction():
        row = await reviews.schedule(conn, chain_id, code)
        if row is None:
            raise UnknownType(code)
        if resulting_version is not None and not await reviews.version_exists(
            conn, chain_id, code, resulting_version
        ):
            raise NoSuchVersion(resulting_version)
        review = {
            "review_id": uuid.uuid4(),
            "chain_id": chain_id,
            "service_type": code,
            "reviewed_by": reviewer,
            "reviewed_by_name": reviewer_name,
            "reviewed_at": now,
            "period_from": period_from,
            "period_to": period_to,
            "findings": findings,
            "decisions": decisions,
            "flow_version": row["version"],
            "resulting_version": resulting_version,
            "figures": {} if figures is None else _figures_json(figures),
        }
        await reviews.add_review(conn, review)
    return review


def _figures_json(figures: PeriodFigures) -> dict[str, Any]:
    return {
        "delivered": figures.delivered,
        "on_time_rate": figures.on_time_rate,
        "median_lead_hours": figures.median_lead_hours,
        "p90_lead_hours": figures.p90_lead_hours,
        "bottleneck": figures.bottleneck,
        "late_causes": [asdict(cause) for cause in figures.late_causes],
    }
