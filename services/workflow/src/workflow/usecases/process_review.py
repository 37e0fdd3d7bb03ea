"""Process review use cases: what-if, suggestions, the review's figures, owners, records.

Reads of history run in the store's read-only snapshot (PostgreSQL: REPEATABLE READ READ ONLY):
one consistent view of the orders and their stage entries, which takes no row locks, so the
live order flow (the consumers' writes) never waits for a what-if. Calendars come from the
shared cache. The store is ``usecases.ports.ReviewStore``; ids come from the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from workflow.domain.flow import FlowVersion
from workflow.domain.history import DeadlineMemo, HistoricalOrder
from workflow.domain.json_types import JsonObject
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
from workflow.domain.records import ProcessReviewRecord, ReviewScheduleRecord
from workflow.domain.what_if import Comparison, DraftStage, compare_blocks
from workflow.usecases.ports import Calendars, ReviewStore

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
    store: ReviewStore,
    calendars: Calendars,
    chain_id: UUID,
    code: str,
    date_from: date,
    date_to: date,
    branches: Branches,
    now: datetime,
) -> Snapshot:
    flow = await store.latest_flow(chain_id, code)
    if flow is None:
        raise UnknownType(code)
    orders = await store.delivered_history(chain_id, code, date_from, date_to, branches)
    memos = await _memos(store, calendars, chain_id, now)
    return Snapshot(flow, orders, memos)


async def _memos(
    store: ReviewStore, calendars: Calendars, chain_id: UUID, now: datetime
) -> dict[str, DeadlineMemo]:
    return {
        str(branch.branch_id): DeadlineMemo(calendars.for_branch(branch, now))
        for branch in await store.chain_branches(chain_id)
    }


@dataclass(frozen=True, slots=True)
class WhatIf:
    flow: FlowVersion
    comparison: Comparison


async def what_if(
    store: ReviewStore,
    calendars: Calendars,
    *,
    chain_id: UUID,
    code: str,
    draft: Sequence[DraftStage],
    date_from: date,
    date_to: date,
    branches: Branches,
    now: datetime,
) -> WhatIf:
    async with store.read_only():
        flow = await store.latest_flow(chain_id, code)
        if flow is None:
            raise UnknownType(code)
        blocks = await store.replay_history(chain_id, code, date_from, date_to, branches)
        memos = await _memos(store, calendars, chain_id, now)
    return WhatIf(flow, compare_blocks(blocks, flow.stages, draft, memos))


@dataclass(frozen=True, slots=True)
class Suggestions:
    flow: FlowVersion
    stages: tuple[StageSuggestion, ...]
    promises: tuple[PromiseSuggestion, ...]


async def planned_days_suggestions(
    store: ReviewStore,
    calendars: Calendars,
    *,
    chain_id: UUID,
    code: str,
    share: float,
    date_from: date,
    date_to: date,
    branches: Branches,
    now: datetime,
) -> Suggestions:
    async with store.read_only():
        snap = await _snapshot(store, calendars, chain_id, code, date_from, date_to, branches, now)
        stays = await store.finished_stays(chain_id, code, date_from, date_to, branches)
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


def schedule_of(row: ReviewScheduleRecord, today: date) -> Schedule:
    cadence = Cadence(row.review_cadence) if row.review_cadence else None
    due = None
    if cadence is not None and row.process_owner is not None and row.owner_since:
        last = row.last_reviewed_at
        last_day = chain_day(last) if last else None
        due = review_due(cadence, last_day, chain_day(row.owner_since), today)
    return Schedule(
        code=row.code,
        name=row.name,
        version=row.version,
        owner_id=row.process_owner,
        owner_name=row.process_owner_name,
        cadence=cadence,
        owner_since=row.owner_since,
        last_reviewed_at=row.last_reviewed_at,
        due=due,
    )


def chain_day(moment: datetime) -> date:
    """The chain's day of ``moment``: review days (today, an owner's first day, a review's day)
    are the chain's days; the demo chains and most branches are on Brasília. Never the UTC day:
    from 21:00 in Brasília it is already tomorrow there."""
    return moment.astimezone(ZoneInfo(DEFAULT_ZONE)).date()


async def schedules(store: ReviewStore, chain_id: UUID, now: datetime) -> list[Schedule]:
    today = chain_day(now)
    return [schedule_of(row, today) for row in await store.schedules(chain_id)]


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
    store: ReviewStore,
    calendars: Calendars,
    *,
    chain_id: UUID,
    code: str,
    branches: Branches,
    now: datetime,
) -> ReviewFigures:
    """The period's figures beside the previous period's (the cadence's length; monthly when
    the type has no cadence yet)."""
    today = chain_day(now)
    async with store.read_only():
        row = await store.schedule(chain_id, code)
        if row is None:
            raise UnknownType(code)
        sched = schedule_of(row, today)
        period, previous = review_periods(sched.cadence or Cadence.MONTHLY, today)
        snap = await _snapshot(
            store, calendars, chain_id, code, previous.first, period.last, branches, now
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
    store: ReviewStore,
    *,
    chain_id: UUID,
    code: str,
    owner: UUID | None,
    owner_name: str | None,
    cadence: Cadence | None,
    now: datetime,
) -> Schedule:
    async with store.transaction():
        found = await store.set_owner(
            chain_id,
            code,
            owner=owner,
            owner_name=owner_name,
            cadence=None if cadence is None else cadence.value,
            now=now,
        )
        if not found:
            raise UnknownType(code)
        row = await store.schedule(chain_id, code)
    assert row is not None
    return schedule_of(row, chain_day(now))


async def list_reviews(
    store: ReviewStore, chain_id: UUID, code: str, limit: int, offset: int
) -> list[ProcessReviewRecord]:
    return await store.list_reviews(chain_id, code, limit, offset)


class NoSuchVersion(ValueError):
    """The resulting flow version named by a review does not exist."""


async def record_review(
    store: ReviewStore,
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
    new_id: Callable[[], UUID],
) -> ProcessReviewRecord:
    async with store.transaction():
        row = await store.schedule(chain_id, code)
        if row is None:
            raise UnknownType(code)
        if resulting_version is not None and not await store.version_exists(
            chain_id, code, resulting_version
        ):
            raise NoSuchVersion(resulting_version)
        review = ProcessReviewRecord(
            review_id=new_id(),
            chain_id=chain_id,
            service_type=code,
            reviewed_by=reviewer,
            reviewed_by_name=reviewer_name,
            reviewed_at=now,
            period_from=period_from,
            period_to=period_to,
            findings=findings,
            decisions=decisions,
            flow_version=row.version,
            resulting_version=resulting_version,
            figures={} if figures is None else _figures_json(figures),
        )
        await store.add_review(review)
    return review


def _figures_json(figures: PeriodFigures) -> JsonObject:
    return {
        "delivered": figures.delivered,
        "on_time_rate": figures.on_time_rate,
        "median_lead_hours": figures.median_lead_hours,
        "p90_lead_hours": figures.p90_lead_hours,
        "bottleneck": figures.bottleneck,
        "late_causes": [asdict(cause) for cause in figures.late_causes],
    }
