"""A city's municipal holidays over HTTP: what the chain's branches there close for, and an
admin's import of a city's list.

- ``GET /api/v1/calendars/cities/{uf}/{city}/holidays``: the chain's imported list for the
  city, or the built-in one for a capital (``origin``: ``importada`` / ``embutida``), or
  ``known: false`` and no days.
- ``POST …/holidays``: the body is the file itself, iCalendar (``Content-Type: text/calendar``)
  or CSV (``text/csv``); ``?source=`` names where it came from (the municipal law, the
  prefeitura's page) for the lines that do not say. It replaces the chain's list for the city
  (a capital's built-in list too, for this chain), and every branch of the chain in that city
  uses it from its next deadline. Chain admins only. A bad file is a 400 that names each
  problem, in Portuguese, and imports nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import PathParameter, QueryParameter
from pydantic import BaseModel

from shared.auth import Principal, Role
from shared.clock import Clock
from workflow.adapters.city_holidays import CAPITALS, capital_days, knows_capital
from workflow.adapters.city_import import BadHolidayFile, parse_holiday_file
from workflow.adapters.postgres import city_calendars

State = Annotated[str, PathParameter(pattern=r"^[A-Za-z]{2}$", description="UF, e.g. MA")]
City = Annotated[str, PathParameter(min_length=2, max_length=100, description="e.g. São Luís")]
Source = Annotated[
    str | None,
    QueryParameter(max_length=500, description="where the list comes from (law, prefeitura)"),
]
BUILT_IN_YEARS = (2026, 2027, 2028)


class CityHolidayOut(BaseModel):
    date: date
    name: str
    source: str


class CityHolidaysOut(BaseModel):
    state: str
    city: str
    known: bool
    origin: str | None
    """``importada`` (this chain's list), ``embutida`` (a capital's, 2026–2028) or null."""
    holidays: list[CityHolidayOut]
    branches_updated: int | None = None


class CityCalendarController(Controller):
    path = "/api/v1/calendars/cities/{uf:str}/{city:str}/holidays"
    tags = ["calendars"]

    @get("/")
    async def get_city_holidays(
        self,
        uf: State,
        city: City,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> CityHolidaysOut:
        """The city's municipal holidays as this chain's branches there see them."""
        uf = _state(uf)
        async with pool.acquire() as conn:
            imported = await city_calendars.city_list(conn, principal.chain_id, uf, city)
        if imported is not None:
            days = [CityHolidayOut(**d) for d in imported]
            return CityHolidaysOut(
                state=uf, city=city, known=True, origin="importada", holidays=days
            )
        if knows_capital(uf, city):
            days = [
                CityHolidayOut(date=day, name=h.name, source=h.source)
                for day, h in capital_days(uf, city, BUILT_IN_YEARS)
            ]
            return CityHolidaysOut(
                state=uf, city=city, known=True, origin="embutida", holidays=days
            )
        return CityHolidaysOut(state=uf, city=city, known=False, origin=None, holidays=[])

    @post("/", status_code=200)
    async def import_city_holidays(
        self,
        request: Request,  # type: ignore[type-arg]
        uf: State,
        city: City,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        source: Source = None,
    ) -> CityHolidaysOut:
        """Replace the chain's list of the city's municipal holidays with the file's."""
        principal.require_role(Role.CHAIN_ADMIN, action="importar feriados municipais")
        uf = _state(uf)
        try:
            days = parse_holiday_file(await request.body(), request.headers.get("content-type"))
        except BadHolidayFile as bad:
            raise ClientException(
                f"arquivo: {bad}", extra=[{"field": "arquivo", "problem": p} for p in bad.problems]
            ) from None
        who = principal.name or str(principal.user_id)
        now = clock()
        async with pool.acquire() as conn, conn.transaction():
            updated = await city_calendars.replace_city_list(
                conn,
                principal.chain_id,
                uf,
                city.strip(),
                days,
                source=source or f"importada por {who} em {now:%d/%m/%Y}",
                by=who,
                at=now,
            )
            imported = await city_calendars.city_list(conn, principal.chain_id, uf, city)
        return CityHolidaysOut(
            state=uf,
            city=city.strip(),
            known=True,
            origin="importada",
            holidays=[CityHolidayOut(**d) for d in imported or []],
            branches_updated=updated,
        )


def _state(uf: str) -> str:
    """``uf`` as one of Brazil's 27 states (any case), or a 400 naming it."""
    if uf.upper() not in CAPITALS:
        raise ClientException(
            f"uf: “{uf}” não é uma UF do Brasil (ex.: SP, MA, DF)",
            extra=[{"field": "uf", "problem": f"“{uf}” não é uma UF do Brasil"}],
        )
    return uf.upper()
