"""Branch calendars and the chain's optional days ("pontos facultativos") over HTTP.

- ``GET /api/v1/branches/{id}/calendar?from=&to=``: the branch's settings and the days it
  closes in the range (default: today to a year ahead, at most three years), each with its
  source. Any role that sees the branch.
- ``PUT /api/v1/branches/{id}/calendar``: the branch's working week, hours, municipal holidays
  and closures. A chain administrator, or a manager of that branch.
- ``GET/PUT /api/v1/calendar/optional-days``: the optional days the whole chain closes on.
  Everyone reads; a chain administrator changes.

A branch is known here once intake's ``branch.upserted.v1`` arrived; before that it is 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter

from shared.auth import Principal, Role
from shared.clock import Clock
from workflow.adapters.holidays import CalendarCache, OptionalDay, branch_closed_days, knows_city
from workflow.adapters.postgres.branches import PostgresBranchStore
from workflow.domain.calendar import WEEKDAY_NAMES
from workflow.domain.calendar_settings import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarSettings,
    DatedDay,
)
from workflow.domain.problems import InvalidInput
from workflow.domain.records import Branch, ChainOptionalDays
from workflow.entrypoints.http.config_schemas import (
    BranchCalendarIn,
    BranchCalendarOut,
    CalendarSettingsOut,
    ClosedDayOut,
    DatedDayOut,
    OptionalDayChoice,
    OptionalDaysIn,
    OptionalDaysOut,
)
from workflow.entrypoints.http.errors import bad_request
from workflow.usecases.calendar_settings import change_branch_calendar, choose_optional_days

MAX_RANGE_DAYS = 3 * 366
FromDate = Annotated[date | None, QueryParameter(name="from", description="first day (today)")]
ToDate = Annotated[date | None, QueryParameter(name="to", description="last day (a year on)")]

OPTIONAL_DAY_LABELS = {
    OptionalDay.CARNIVAL_MONDAY: "Segunda-feira de Carnaval",
    OptionalDay.CARNIVAL_TUESDAY: "Terça-feira de Carnaval",
    OptionalDay.ASH_WEDNESDAY: "Quarta-feira de Cinzas (o dia todo)",
    OptionalDay.CORPUS_CHRISTI: "Corpus Christi",
    OptionalDay.PUBLIC_SERVANTS_DAY: "Dia do Servidor Público (28/10)",
    OptionalDay.CHRISTMAS_EVE: "Véspera de Natal (24/12)",
    OptionalDay.NEW_YEARS_EVE: "Véspera de Ano-Novo (31/12)",
}


class BranchCalendarController(Controller):
    path = "/api/v1/branches/{branch_id:uuid}/calendar"
    tags = ["calendars"]

    @get("/")
    async def get_calendar(
        self,
        branch_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        from_date: FromDate = None,
        to_date: ToDate = None,
    ) -> BranchCalendarOut:
        """The branch's calendar settings and the days it closes, with their source."""
        principal.require_branch(branch_id)
        async with pool.acquire() as conn:
            branch = await PostgresBranchStore(conn).get(principal.chain_id, branch_id)
        if branch is None:
            raise NotFoundException(f"branch {branch_id} not found")
        return _calendar_out(branch, clock, from_date, to_date)

    @put("/")
    async def change_calendar(
        self,
        branch_id: FromPath[UUID],
        data: JSONBody[BranchCalendarIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        calendars: NamedDependency[CalendarCache],
    ) -> BranchCalendarOut:
        """Change the branch's working week, hours, municipal holidays and closures."""
        principal.require_branch(branch_id)
        principal.require_role(
            Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, action="alterar o calendário da filial"
        )
        async with pool.acquire() as conn, conn.transaction():
            try:
                branch = await change_branch_calendar(
                    PostgresBranchStore(conn),
                    principal.chain_id,
                    branch_id,
                    _settings_of(data),
                    actor=str(principal.user_id),
                    now=clock(),
                )
            except InvalidInput as invalid:
                raise bad_request(invalid) from None
        if branch is None:
            raise NotFoundException(f"branch {branch_id} not found")
        calendars.invalidate(branch_id)
        return _calendar_out(branch, clock, None, None)


class OptionalDaysController(Controller):
    path = "/api/v1/calendar/optional-days"
    tags = ["calendars"]

    @get("/")
    async def get_optional_days(
        self, pool: NamedDependency[asyncpg.Pool], principal: NamedDependency[Principal]
    ) -> OptionalDaysOut:
        """The "pontos facultativos" the chain closes on, and every one it may choose."""
        async with pool.acquire() as conn:
            row = await PostgresBranchStore(conn).chain_optional_days(principal.chain_id)
        return _optional_out(row)

    @put("/")
    async def set_optional_days(
        self,
        data: JSONBody[OptionalDaysIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        calendars: NamedDependency[CalendarCache],
    ) -> OptionalDaysOut:
        """Choose the optional days every branch of the chain closes on."""
        principal.require_role(Role.CHAIN_ADMIN, action="escolher os pontos facultativos")
        async with pool.acquire() as conn, conn.transaction():
            row, changed = await choose_optional_days(
                PostgresBranchStore(conn),
                principal.chain_id,
                [day.value for day in data.optional_days],
                actor=str(principal.user_id),
                now=clock(),
            )
        for branch_id in changed:
            calendars.invalidate(branch_id)
        return _optional_out(row)


def _settings_of(data: BranchCalendarIn) -> CalendarSettings:
    return CalendarSettings(
        working_weekdays=frozenset(data.working_weekdays),
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        closing_by_weekday=dict(data.closing_by_weekday),
        municipal_holidays=tuple(
            DatedDay(day.date, day.description.strip(), day.every_year)
            for day in data.municipal_holidays
        ),
        closures=tuple(DatedDay(day.date, day.description.strip()) for day in data.closures),
    )


def _calendar_out(
    branch: Branch, clock: Clock, from_date: date | None, to_date: date | None
) -> BranchCalendarOut:
    settings, optional_days = branch.calendar, branch.optional_days
    today = _local_today(branch, clock)
    first = from_date or today
    last = to_date or first + timedelta(days=365)
    for name, day in (("from", first), ("to", last)):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationException(f"{name}: must be from {FIRST_YEAR} to {LAST_YEAR}")
    if last < first:
        raise ValidationException(f"to: {last} is before from ({first})")
    if (last - first).days > MAX_RANGE_DAYS:
        raise ValidationException(f"to: at most {MAX_RANGE_DAYS} days after from")
    closed = [
        ClosedDayOut(
            date=entry.day,
            weekday=WEEKDAY_NAMES[entry.day.weekday()],
            name=entry.name,
            source=entry.source,
        )
        for entry in branch_closed_days(branch, range(first.year, last.year + 1))
        if first <= entry.day <= last
    ]
    return BranchCalendarOut(
        branch_id=branch.branch_id,
        code=branch.code,
        name=branch.name,
        state=branch.state,
        city=branch.city,
        timezone=branch.timezone,
        city_holidays_known=knows_city(branch.state, branch.city),
        settings=CalendarSettingsOut(
            working_weekdays=sorted(settings.working_weekdays),
            opens_at=settings.opens_at,
            closes_at=settings.closes_at,
            closing_by_weekday=dict(settings.closing_by_weekday),
            municipal_holidays=[_dated(day) for day in settings.municipal_holidays],
            closures=[_dated(day) for day in settings.closures],
        ),
        optional_days=sorted(OptionalDay(day) for day in optional_days),
        revision=branch.calendar_revision,
        updated_at=branch.calendar_updated_at,
        updated_by=branch.calendar_updated_by,
        from_date=first,
        to_date=last,
        closed_days=closed,
    )


def _local_today(branch: Branch, clock: Clock) -> date:
    return clock().astimezone(ZoneInfo(branch.timezone)).date()


def _dated(day: DatedDay) -> DatedDayOut:
    return DatedDayOut(date=day.day, description=day.description, every_year=day.every_year)


def _optional_out(row: ChainOptionalDays) -> OptionalDaysOut:
    chosen = {OptionalDay(day) for day in row.optional_days}
    return OptionalDaysOut(
        optional_days=sorted(chosen),
        available=[
            OptionalDayChoice(key=key, label=OPTIONAL_DAY_LABELS[key], chosen=key in chosen)
            for key in OptionalDay
        ],
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )
