"""Process review over HTTP: what-if, planned-days suggestions, the review, owners, records.

- ``POST /api/v1/service-types/{code}/what-if`` — a draft flow and a period → current vs draft.
- ``GET  /api/v1/service-types/{code}/planned-days-suggestions`` — per stage and for the type.
- ``GET  /api/v1/service-types/{code}/review`` — owner, cadence, due state, the period's figures
  beside the previous period's.
- ``GET/POST /api/v1/service-types/{code}/reviews`` — the reviews recorded (newest first) / record
  one (the owner or a chain administrator).
- ``PUT  /api/v1/service-types/{code}/process-owner`` — name the owner and cadence (chain admin).
- ``GET  /api/v1/process-reviews`` — every type's schedule: who owns it, when it is due, late.

Every route needs a token and is scoped to the caller's chain (another chain's type is 404)
and, for figures, to the branches the caller sees. Problems are 400s naming the field, in
Portuguese.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import Principal, Role
from shared.clock import Clock
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from workflow.adapters.holidays import CalendarCache
from workflow.adapters.postgres.reviews import PostgresReviewStore
from workflow.domain.process_review import CADENCE_LABELS, Cadence, PeriodFigures
from workflow.domain.records import ProcessReviewRecord
from workflow.domain.what_if import DraftStage, Outcome
from workflow.entrypoints.http.config_schemas import StageIn
from workflow.entrypoints.http.errors import bad_request
from workflow.usecases import process_review as usecase
from workflow.usecases.flow_rules import InvalidFlow, check_flow

Code = Annotated[
    str,
    PathParameter(
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="the service type's code, e.g. troca"
    ),
]
DEFAULT_DAYS = 90
MAX_PERIOD_DAYS = 3 * 366
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
MAX_TYPED_HOURS = 24 * 365
Share = Annotated[
    float, QueryParameter(ge=0.5, le=0.99, description="share of stays to meet (0.8: 80 %)")
]
From = Annotated[
    date | None, QueryParameter(name="from", description="first delivery day (90 days ago)")
]
To = Annotated[date | None, QueryParameter(name="to", description="last delivery day (today)")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftStageIn(StageIn):
    typed_hours: float | None = Field(
        default=None,
        description="for a stage orders never went through: the hours it would take "
        "(default: its planned days in the branch calendar)",
    )


class WhatIfIn(Body):
    stages: list[DraftStageIn] = Field(max_length=50, description="the draft flow, in order")
    date_from: date | None = Field(default=None, alias="from", description="first delivery day")
    date_to: date | None = Field(default=None, alias="to", description="last delivery day")
    branch: UUID | None = None


class OwnerIn(Body):
    owner_id: UUID | None = Field(description="the person (intake's user id); null: none")
    owner_name: str | None = Field(default=None, max_length=200)
    cadence: Cadence | None = Field(default=None, description="daily, weekly, monthly, quarterly")


class ReviewIn(Body):
    findings: str = Field(max_length=10_000)
    decisions: str = Field(max_length=10_000)
    resulting_version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="the flow version that came of it"
    )


def _period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationException(f"{name}: {day:%d/%m/%Y} está fora de 2000 a 2100")
    end = last or today
    start = first or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationException(f"from: {start:%d/%m/%Y} é depois de to ({end:%d/%m/%Y})")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationException("from: o período pode ter no máximo três anos")
    return start, end


def _branches(principal: Principal, branch: UUID | None) -> frozenset[UUID] | None:
    if branch is None:
        return principal.visible_branches()
    principal.require_branch(branch)
    return frozenset({branch})


def _draft(stages: list[DraftStageIn], code: str, name: str) -> list[DraftStage]:
    problems = []
    for index, stage in enumerate(stages):
        hours = stage.typed_hours
        if hours is not None and not 0 <= hours <= MAX_TYPED_HOURS:
            problems.append(
                f"stages[{index}].typed_hours: deve estar entre 0 e {MAX_TYPED_HOURS} horas"
            )
    if problems:
        raise ValidationException("; ".join(problems))
    draft = [DraftStage(s.to_stage(), s.typed_hours) for s in stages]
    try:
        check_flow(code, name, tuple(d.stage for d in draft))
    except InvalidFlow as exc:
        raise bad_request(exc) from None
    return draft


async def _schedule(pool: asyncpg.Pool, principal: Principal, code: str, now: datetime) -> Any:
    async with pool.acquire() as conn:
        for found in await usecase.schedules(PostgresReviewStore(conn), principal.chain_id, now):
            if found.code == code:
                return found
    raise NotFoundException(f"tipo de OS {code!r} não encontrado")


def _may_review(principal: Principal, schedule: usecase.Schedule) -> None:
    if principal.role is Role.CHAIN_ADMIN or schedule.owner_id == principal.user_id:
        return
    raise PermissionDeniedException(
        "Só o responsável pelo processo ou um administrador da rede pode fazer isto."
    )


class ProcessReviewController(Controller):
    path = "/api/v1"
    tags = ["process review"]

    @post("/service-types/{code:str}/what-if", status_code=200)
    async def what_if(
        self,
        code: Code,
        data: JSONBody[WhatIfIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        calendars: NamedDependency[CalendarCache],
    ) -> dict[str, Any]:
        """Replay the type's orders delivered in the period under the draft flow, beside the
        current flow: on-time rate, median and p90 lead time, flips, per stage figures."""
        now = clock()
        first, last = _period(data.date_from, data.date_to, usecase.chain_day(now))
        branches = _branches(principal, data.branch)
        draft = _draft(data.stages, code, "rascunho")
        async with pool.acquire() as conn:
            try:
                result = await usecase.what_if(
                    PostgresReviewStore(conn),
                    calendars,
                    chain_id=principal.chain_id,
                    code=code,
                    draft=draft,
                    date_from=first,
                    date_to=last,
                    branches=branches,
                    now=now,
                )
            except usecase.UnknownType:
                raise NotFoundException(f"tipo de OS {code!r} não encontrado") from None
        c = result.comparison
        return {
            "code": code,
            "flow_version": result.flow.version,
            "from": first,
            "to": last,
            "current": _outcome(c.current),
            "draft": _outcome(c.draft),
            "recorded_on_time_rate": _round(c.recorded_on_time_rate),
            "late_to_on_time": c.late_to_on_time,
            "on_time_to_late": c.on_time_to_late,
            "late_to_on_time_samples": [_flip(f) for f in c.late_to_on_time_samples],
            "on_time_to_late_samples": [_flip(f) for f in c.on_time_to_late_samples],
            "method": "docs/what-if.md",
        }

    @get("/service-types/{code:str}/planned-days-suggestions")
    async def planned_days_suggestions(
        self,
        code: Code,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        calendars: NamedDependency[CalendarCache],
        share: Share = 0.8,
        branch: FromQuery[UUID | None] = None,
        date_from: From = None,
        date_to: To = None,
    ) -> dict[str, Any]:
        """Per stage, the planned days ``share`` of the stays met (in the stage's counting);
        for the type, the promise (business days) kept by 80 %, 90 % and 95 % of orders."""
        now = clock()
        first, last = _period(date_from, date_to, usecase.chain_day(now))
        async with pool.acquire() as conn:
            try:
                found = await usecase.planned_days_suggestions(
                    PostgresReviewStore(conn),
                    calendars,
                    chain_id=principal.chain_id,
                    code=code,
                    share=share,
                    date_from=first,
                    date_to=last,
                    branches=_branches(principal, branch),
                    now=now,
                )
            except usecase.UnknownType:
                raise NotFoundException(f"tipo de OS {code!r} não encontrado") from None
        return {
            "code": code,
            "flow_version": found.flow.version,
            "from": first,
            "to": last,
            "share": share,
            "stages": [
                {
                    "key": s.key,
                    "name": s.name,
                    "counting": s.counting.value,
                    "planned_days": s.planned_days,
                    "suggested_days": s.suggested_days,
                    "stays": s.stays,
                    "met_planned_rate": _round(s.met_planned_rate),
                    "met_suggested_rate": _round(s.met_suggested_rate),
                }
                for s in found.stages
            ],
            "promises": [
                {"share": p.share, "business_days": p.business_days, "orders": p.orders}
                for p in found.promises
            ],
        }

    @get("/service-types/{code:str}/review")
    async def review(
        self,
        code: Code,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        calendars: NamedDependency[CalendarCache],
        branch: FromQuery[UUID | None] = None,
    ) -> dict[str, Any]:
        """The review: owner, cadence, due state, and the period's figures beside the previous
        period's (on time, lead times, stages, bottleneck, late orders by cause)."""
        now = clock()
        async with pool.acquire() as conn:
            try:
                found = await usecase.review_figures(
                    PostgresReviewStore(conn),
                    calendars,
                    chain_id=principal.chain_id,
                    code=code,
                    branches=_branches(principal, branch),
                    now=now,
                )
            except usecase.UnknownType:
                raise NotFoundException(f"tipo de OS {code!r} não encontrado") from None
        return {
            **_schedule_out(found.schedule),
            "stages": [
                {
                    "key": s.key,
                    "name": s.name,
                    "planned_days": s.planned_days,
                    "counting": s.counting.value,
                }
                for s in found.flow.stages
            ],
            "period": {"from": found.period_from, "to": found.period_to, **_figures(found.current)},
            "previous_period": {
                "from": found.previous_from,
                "to": found.previous_to,
                **_figures(found.previous),
            },
        }

    @get("/service-types/{code:str}/reviews")
    async def list_reviews(
        self,
        code: Code,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """The reviews recorded for the type, newest first."""
        await _schedule(pool, principal, code, clock())
        async with pool.acquire() as conn:
            rows = await usecase.list_reviews(
                PostgresReviewStore(conn), principal.chain_id, code, limit, offset
            )
        return page_of([_review_out(row) for row in rows], limit, offset)

    @post("/service-types/{code:str}/reviews")
    async def record_review(
        self,
        code: Code,
        data: JSONBody[ReviewIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        calendars: NamedDependency[CalendarCache],
        new_id: NamedDependency[Callable[[], UUID]],
    ) -> dict[str, Any]:
        """Record a review (the owner or a chain administrator): findings, decisions and the
        flow version that came of it; the period's figures are kept with it."""
        now = clock()
        schedule = await _schedule(pool, principal, code, now)
        _may_review(principal, schedule)
        if not data.findings.strip():
            raise ValidationException("findings: escreva o que a revisão encontrou")
        if not data.decisions.strip():
            raise ValidationException("decisions: escreva o que foi decidido")
        async with pool.acquire() as conn:
            figures = await usecase.review_figures(
                PostgresReviewStore(conn),
                calendars,
                chain_id=principal.chain_id,
                code=code,
                branches=principal.visible_branches(),
                now=now,
            )
            try:
                review = await usecase.record_review(
                    PostgresReviewStore(conn),
                    chain_id=principal.chain_id,
                    code=code,
                    reviewer=principal.user_id,
                    reviewer_name=principal.name or str(principal.user_id),
                    findings=data.findings.strip(),
                    decisions=data.decisions.strip(),
                    resulting_version=data.resulting_version,
                    period_from=figures.period_from,
                    period_to=figures.period_to,
                    figures=figures.current,
                    now=now,
                    new_id=new_id,
                )
            except usecase.NoSuchVersion:
                raise ValidationException(
                    f"resulting_version: a versão {data.resulting_version} não existe neste tipo"
                ) from None
        return _review_out(review)

    @put("/service-types/{code:str}/process-owner")
    async def set_process_owner(
        self,
        code: Code,
        data: JSONBody[OwnerIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> dict[str, Any]:
        """Name the type's process owner and review cadence (chain administrators)."""
        principal.require_role(Role.CHAIN_ADMIN, action="definir o responsável pelo processo")
        if data.owner_id is not None and data.cadence is None:
            raise ValidationException("cadence: escolha diária, semanal, mensal ou trimestral")
        if data.owner_id is not None and not (data.owner_name or "").strip():
            raise ValidationException("owner_name: informe o nome do responsável")
        async with pool.acquire() as conn:
            try:
                found = await usecase.set_owner(
                    PostgresReviewStore(conn),
                    chain_id=principal.chain_id,
                    code=code,
                    owner=data.owner_id,
                    owner_name=(data.owner_name or "").strip() or None,
                    cadence=data.cadence if data.owner_id else None,
                    now=clock(),
                )
            except usecase.UnknownType:
                raise NotFoundException(f"tipo de OS {code!r} não encontrado") from None
        return _schedule_out(found)

    @get("/process-reviews")
    async def schedules(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        owner: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """Every service type's review schedule (``owner=me``: the caller's only)."""
        if owner not in (None, "me"):
            raise ValidationException("owner: use owner=me ou omita")
        async with pool.acquire() as conn:
            found = await usecase.schedules(PostgresReviewStore(conn), principal.chain_id, clock())
        if owner == "me":
            found = [s for s in found if s.owner_id == principal.user_id]
        return {"items": [_schedule_out(s) for s in found]}


def _round(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {
        "orders": outcome.orders,
        "on_time": outcome.on_time,
        "on_time_rate": _round(outcome.on_time_rate),
        "median_lead_hours": _round(outcome.median_lead_hours),
        "p90_lead_hours": _round(outcome.p90_lead_hours),
        "stages": [
            {
                "key": s.key,
                "name": s.name,
                "planned_days": s.planned_days,
                "counting": s.counting,
                "time_from": s.source.value,
                "real_orders": s.real_orders,
                "median_hours": _round(s.median_hours),
                "p90_hours": _round(s.p90_hours),
            }
            for s in outcome.stages
        ],
    }


def _flip(flip: Any) -> dict[str, Any]:
    return {
        "order_id": flip.order_id,
        "number": flip.number,
        "current_promised_date": flip.current_promised_on,
        "current_delivered_on": flip.current_delivered_on,
        "draft_promised_date": flip.draft_promised_on,
        "draft_delivered_on": flip.draft_delivered_on,
    }


def _figures(figures: PeriodFigures) -> dict[str, Any]:
    return {
        "delivered": figures.delivered,
        "on_time": figures.on_time,
        "on_time_rate": _round(figures.on_time_rate),
        "median_lead_hours": _round(figures.median_lead_hours),
        "p90_lead_hours": _round(figures.p90_lead_hours),
        "bottleneck": figures.bottleneck,
        "stages": [
            {
                "key": s.key,
                "name": s.name,
                "planned_days": s.planned_days,
                "counting": s.counting,
                "orders": s.orders,
                "median_hours": _round(s.median_hours),
                "p90_hours": _round(s.p90_hours),
                "late_rate": _round(s.late_rate),
            }
            for s in figures.stages
        ],
        "late_causes": [
            {"kind": c.kind, "label": c.label, "orders": c.orders} for c in figures.late_causes
        ],
    }


def _review_out(review: ProcessReviewRecord) -> dict[str, Any]:
    """A review as the API answers it: every field but the chain's id."""
    out = asdict(review)
    del out["chain_id"]
    return out


def _schedule_out(schedule: usecase.Schedule) -> dict[str, Any]:
    due = schedule.due
    return {
        "code": schedule.code,
        "name": schedule.name,
        "version": schedule.version,
        "owner_id": schedule.owner_id,
        "owner_name": schedule.owner_name,
        "cadence": None if schedule.cadence is None else schedule.cadence.value,
        "cadence_label": None if schedule.cadence is None else CADENCE_LABELS[schedule.cadence],
        "owner_since": schedule.owner_since,
        "last_reviewed_at": schedule.last_reviewed_at,
        "due_on": None if due is None else due.due_on,
        "review_state": None if due is None else due.state.value,
        "days_late": 0 if due is None else due.days_late,
    }
