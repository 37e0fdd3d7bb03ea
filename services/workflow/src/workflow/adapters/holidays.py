"""The edge that reads the ``holidays`` package into a plain :class:`BranchCalendar`.

What a branch closes for:

- Brazil's national holidays and its state's (UF) holidays, always — e.g. 20 November
  ("Dia Nacional de Zumbi e da Consciência Negra", national since 2024) and SP's 9 July
  ("Revolução Constitucionalista"). The package's state days are corrected by
  :mod:`shared.state_holidays` (each line with its sources: AC's 06/08
  and AP's 15/05 added; CE's 19/03 and 15/08, AP's 25/07, RN's 07/08, RO's 18/06 and TO's
  18/03 removed).
- Its city's municipal holidays, for the 27 state capitals, from ``city_holidays.csv``
  (:mod:`workflow.adapters.city_holidays`: São Paulo's 25 January and Corpus Christi, Rio de
  Janeiro's 20 January, Salvador's 24 June and 8 December, …; Carnival Tuesday and 23 April São
  Jorge are RJ *state* holidays and, like Bahia's 2 July, come from the package). Any other
  city raises ValueError: give ``city=None`` and put its municipal holidays (imported for the
  chain, or the branch's own) in ``municipal_holidays``, rather than silently miss them.
- The "pontos facultativos" the chain chose to close on, by the stable keys of
  :class:`OptionalDay` (the package's OPTIONAL category for BR). Their reasons read
  "Carnaval (ponto facultativo)". A day that is also a public holiday keeps the public name.
  Ash Wednesday is a half day (public offices open at 14:00); choosing it closes the whole day,
  so a promise never counts on a morning the shop is shut. Chains that open at 14:00 leave it
  out: a deadline is at closing time, which a late opening does not change.
- The branch's own ``municipal_holidays`` and ``extra_closures`` (inventory, renovation), with
  the reason given.

Reasons are the package's pt_BR names. Two reasons for one day are joined with "; ".
``closed_day_list`` gives the same days one name at a time, each with its source (nacional,
estadual, municipal, ponto facultativo, fechamento da filial), for people to read.
``years`` must cover every year a deadline can land in (this year and the next, at least).

``CalendarCache`` keeps one built calendar per branch (see its docstring); a city whose
municipal holidays this module does not know (most of them) gets the national and state
holidays, and its own days are the branch's ``municipal_holidays``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

import holidays

from shared import state_holidays
from workflow.adapters.city_holidays import capital_days, knows_capital
from workflow.domain.calendar import (
    DEFAULT_CLOSES_AT,
    DEFAULT_OPENS_AT,
    MONDAY_TO_FRIDAY,
    BranchCalendar,
)
from workflow.domain.calendar_settings import expand
from workflow.domain.records import Branch

_LANGUAGE = "pt_BR"
_OPTIONAL_SUFFIX = " (ponto facultativo)"
_NO_CLOSURES: Mapping[date, str] = MappingProxyType({})
_NO_HOURS: Mapping[int, time] = MappingProxyType({})

_YEARS_BACK, _YEARS_AHEAD = 1, 3


class HolidaySource(StrEnum):
    """Why a branch is closed on a day, as staff read it."""

    NATIONAL = "nacional"
    STATE = "estadual"
    MUNICIPAL = "municipal"
    OPTIONAL = "ponto facultativo"
    BRANCH = "fechamento da filial"


@dataclass(frozen=True, slots=True)
class ClosedDay:
    day: date
    name: str
    source: HolidaySource


class OptionalDay(StrEnum):
    """Stable keys for Brazil's "pontos facultativos" a chain may choose to close on."""

    CARNIVAL_MONDAY = "carnival_monday"
    CARNIVAL_TUESDAY = "carnival_tuesday"
    ASH_WEDNESDAY = "ash_wednesday"
    CORPUS_CHRISTI = "corpus_christi"
    PUBLIC_SERVANTS_DAY = "public_servants_day"
    CHRISTMAS_EVE = "christmas_eve"
    NEW_YEARS_EVE = "new_years_eve"


# The package's pt_BR names of its OPTIONAL holidays; Carnival Monday and Tuesday share a name
# and are told apart by weekday. A package upgrade that renames one makes the build raise.
_OPTIONAL_BY_NAME = {
    "Quarta-feira de Cinzas": OptionalDay.ASH_WEDNESDAY,
    "Corpus Christi": OptionalDay.CORPUS_CHRISTI,
    "Dia do Servidor Público": OptionalDay.PUBLIC_SERVANTS_DAY,
    "Véspera de Natal": OptionalDay.CHRISTMAS_EVE,
    "Véspera de Ano-Novo": OptionalDay.NEW_YEARS_EVE,
}
_CARNIVAL_NAME = "Carnaval"
_CARNIVAL_BY_WEEKDAY = {0: OptionalDay.CARNIVAL_MONDAY, 1: OptionalDay.CARNIVAL_TUESDAY}


def build_branch_calendar(
    state: str,
    city: str | None,
    timezone: str,
    years: Iterable[int],
    optional_days: AbstractSet[str] = frozenset(),
    extra_closures: Mapping[date, str] = _NO_CLOSURES,
    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY,
    opens_at: time = DEFAULT_OPENS_AT,
    closes_at: time = DEFAULT_CLOSES_AT,
    *,
    municipal_holidays: Mapping[date, str] = _NO_CLOSURES,
    closing_by_weekday: Mapping[int, time] = _NO_HOURS,
) -> BranchCalendar:
    """A branch calendar for a branch in ``state`` (UF, e.g. "SP") and ``city``."""
    closed: dict[date, str] = {}
    for entry in closed_day_list(
        state, city, years, optional_days, extra_closures, municipal_holidays=municipal_holidays
    ):
        known = closed.get(entry.day)
        reason = entry.name + (_OPTIONAL_SUFFIX if entry.source == HolidaySource.OPTIONAL else "")
        if known is None:
            closed[entry.day] = reason
        elif entry.source != HolidaySource.OPTIONAL:  # a public name wins over "facultativo"
            closed[entry.day] = f"{known}; {reason}"
    return BranchCalendar(
        timezone=timezone,
        closed_days=closed,
        working_weekdays=working_weekdays,
        opens_at=opens_at,
        closes_at=closes_at,
        closing_by_weekday=closing_by_weekday,
    )


def closed_day_list(
    state: str,
    city: str | None,
    years: Iterable[int],
    optional_days: AbstractSet[str] = frozenset(),
    extra_closures: Mapping[date, str] = _NO_CLOSURES,
    *,
    municipal_holidays: Mapping[date, str] = _NO_CLOSURES,
) -> list[ClosedDay]:
    """Every day a branch closes, one name at a time, with its source; sorted by day.

    A name given twice for a day (the package repeats national holidays per state) is listed
    once, from its most general source.
    """
    uf = state.strip().upper()
    wanted_years = sorted(set(years))
    if not wanted_years:
        raise ValueError("years must name at least one year")
    unknown = set(optional_days) - set(OptionalDay)
    if unknown:
        raise ValueError(f"unknown optional days {sorted(unknown)}; known: {list(OptionalDay)}")
    entries: list[ClosedDay] = []
    seen: set[tuple[date, str]] = set()

    def add(day: date, name: str, source: HolidaySource) -> None:
        if (day, name) not in seen:
            seen.add((day, name))
            entries.append(ClosedDay(day, name, source))

    national = _public_holidays(None, wanted_years)
    not_state = state_holidays.removed(uf, wanted_years)
    for subdivision in _subdivisions(uf, city):
        for day, names in _public_holidays(subdivision, wanted_years).items():
            for name in names.split("; "):
                if name in national.get(day, "").split("; "):
                    add(day, name, HolidaySource.NATIONAL)
                elif (day, name) not in not_state:
                    source = HolidaySource.STATE if subdivision == uf else HolidaySource.MUNICIPAL
                    add(day, name, source)
    for day, override in state_holidays.added(uf, wanted_years):
        add(day, override.name, HolidaySource.STATE)
    if city is not None:
        for day, holiday in capital_days(uf, city, wanted_years):
            add(day, holiday.name, HolidaySource.MUNICIPAL)
    public_days = {entry.day for entry in entries}
    for day, name in _optional_holidays(uf, wanted_years, optional_days).items():
        if day not in public_days:
            add(day, name, HolidaySource.OPTIONAL)
    for day, name in municipal_holidays.items():
        add(day, name, HolidaySource.MUNICIPAL)
    for day, name in extra_closures.items():
        add(day, name, HolidaySource.BRANCH)
    return sorted(entries, key=lambda entry: entry.day)


def knows_city(uf: str, city: str) -> bool:
    """Whether this module knows ``city``'s municipal holidays (the 27 capitals)."""
    return knows_capital(uf, city)


def _subdivisions(uf: str, city: str | None) -> list[str]:
    # Two letters: the package's city subdivisions are reached through ``city`` only.
    if len(uf) != 2 or uf not in holidays.country_holidays("BR").subdivisions:
        raise ValueError(f"unknown Brazilian state (UF) {uf!r}")
    if city is not None and not knows_capital(uf, city):
        raise ValueError(
            f"no municipal holidays known for {city}/{uf}: pass city=None and give them "
            "in municipal_holidays"
        )
    return [uf]


def _public_holidays(subdivision: str | None, years: list[int]) -> dict[date, str]:
    found = holidays.country_holidays(
        "BR", subdiv=subdivision, years=years, language=_LANGUAGE, categories=(holidays.PUBLIC,)
    )
    return dict(found.items())


def _optional_holidays(uf: str, years: list[int], chosen: AbstractSet[str]) -> dict[date, str]:
    if not chosen:
        return {}
    found = holidays.country_holidays(
        "BR", subdiv=uf, years=years, language=_LANGUAGE, categories=(holidays.OPTIONAL,)
    )
    closed: dict[date, str] = {}
    seen: set[tuple[int, OptionalDay]] = set()
    for day, names in found.items():
        for name in names.split("; "):
            key = _optional_key(day, name)
            if key is not None:
                seen.add((day.year, key))
                if key in chosen:
                    closed[day] = name
    missing = {(year, OptionalDay(key)) for year in years for key in chosen} - seen
    if missing:
        raise ValueError(f"the holidays package no longer provides {sorted(missing)}")
    return closed


def _optional_key(day: date, name: str) -> OptionalDay | None:
    if name == _CARNIVAL_NAME:
        return _CARNIVAL_BY_WEEKDAY.get(day.weekday())
    return _OPTIONAL_BY_NAME.get(name)


def branch_calendar(branch: Branch, years: Iterable[int]) -> BranchCalendar:
    """The calendar of a branch (its settings and the chain's optional days) over ``years``."""
    settings = branch.calendar
    wanted = sorted(set(years))
    return build_branch_calendar(
        state=branch.state,
        city=_known_city(branch),
        timezone=branch.timezone,
        years=wanted,
        optional_days=branch.optional_days,
        extra_closures=expand(settings.closures, wanted),
        working_weekdays=settings.working_weekdays,
        opens_at=settings.opens_at,
        closes_at=settings.closes_at,
        municipal_holidays=_municipal(branch, wanted),
        closing_by_weekday=settings.closing_by_weekday,
    )


def branch_closed_days(branch: Branch, years: Iterable[int]) -> list[ClosedDay]:
    """Every day the branch closes in ``years``, with its name and source."""
    settings = branch.calendar
    wanted = sorted(set(years))
    return closed_day_list(
        branch.state,
        _known_city(branch),
        wanted,
        branch.optional_days,
        expand(settings.closures, wanted),
        municipal_holidays=_municipal(branch, wanted),
    )


def city_holidays_known(branch: Branch) -> bool:
    """Whether the branch's city's municipal holidays are known: a capital (built in), or a
    city whose list the chain imported."""
    return branch.city_holidays is not None or knows_city(branch.state, branch.city)


def _known_city(branch: Branch) -> str | None:
    """The city whose built-in list applies; None when the chain imported its own (which
    replaces it) or the city is not built in."""
    if branch.city_holidays is not None:
        return None
    return branch.city if knows_city(branch.state, branch.city) else None


def _municipal(branch: Branch, years: list[int]) -> dict[date, str]:
    """The branch's own municipal days, and the city's imported list in ``years``."""
    days = expand(branch.calendar.municipal_holidays, years)
    for item in branch.city_holidays or ():
        if item.day.year in years and item.name not in days.get(item.day, "").split("; "):
            days[item.day] = f"{days[item.day]}; {item.name}" if item.day in days else item.name
    return days


class CalendarCache:
    """Branch calendars, built once per branch and kept until the branch says it changed.

    Building a calendar reads the ``holidays`` package, which costs milliseconds; deadlines are
    computed many times per second. The key is the branch's ``updated_at`` (intake's branch:
    state, city, time zone) and ``calendar_revision`` (bumped in the same transaction as every
    change of the branch's calendar or of the chain's optional days), so every replica sees a
    change on its next read of the branch, with no message between replicas. ``invalidate``
    drops a branch at once. Calendars cover last year to three years ahead.
    """

    def __init__(self) -> None:
        # branch id -> (what the calendar was built from, the calendar); one entry per branch.
        self._calendars: dict[UUID, tuple[tuple[datetime, int, int], BranchCalendar]] = {}

    def for_branch(self, branch: Branch, now: datetime) -> BranchCalendar:
        stamp = (branch.updated_at, branch.calendar_revision, now.year)
        cached = self._calendars.get(branch.branch_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        years = range(now.year - _YEARS_BACK, now.year + _YEARS_AHEAD + 1)
        calendar = branch_calendar(branch, years)
        self._calendars[branch.branch_id] = (stamp, calendar)
        return calendar

    def invalidate(self, branch_id: UUID) -> None:
        """Forget a branch's calendar (its settings just changed in this process)."""
        self._calendars.pop(branch_id, None)
