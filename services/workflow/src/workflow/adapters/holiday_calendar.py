"""The edge that reads the ``holidays`` package into a plain :class:`BranchCalendar`.

What a branch closes for:

- Brazil's national holidays and its state's (UF) holidays, always — e.g. 20 November
  ("Dia Nacional de Zumbi e da Consciência Negra", national since 2024) and SP's 9 July
  ("Revolução Constitucionalista").
- Its city's municipal holidays, where this module knows them. The ``holidays`` package models
  São Paulo city as the subdivision "São Paulo Capital" (25 January "Aniversário da Cidade de
  São Paulo" and Corpus Christi, a municipal holiday there); ``_CITY_SUBDIVISIONS`` maps city
  names to such subdivisions. Any other city raises ValueError: give ``city=None`` and put its
  municipal holidays in ``extra_closures``, rather than silently miss them.
- The "pontos facultativos" the chain chose to close on, by the stable keys of
  :class:`OptionalDay` (the package's OPTIONAL category for BR). Their reasons read
  "Carnaval (ponto facultativo)". A day that is also a public holiday keeps the public name.
- The branch's own ``extra_closures`` (inventory, renovation), with the reason given.

Reasons are the package's pt_BR names. Two reasons for one day are joined with "; ".
``years`` must cover every year a deadline can land in (this year and the next, at least).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date, time
from enum import StrEnum
from types import MappingProxyType

import holidays

from workflow.domain.calendar import (
    DEFAULT_CLOSES_AT,
    DEFAULT_OPENS_AT,
    MONDAY_TO_FRIDAY,
    BranchCalendar,
)

_LANGUAGE = "pt_BR"
_OPTIONAL_SUFFIX = " (ponto facultativo)"
_NO_CLOSURES: Mapping[date, str] = MappingProxyType({})

# (UF, city name without accents, lower case) -> the package's subdivision for that city.
_CITY_SUBDIVISIONS = {("SP", "sao paulo"): "São Paulo Capital"}


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
) -> BranchCalendar:
    """A branch calendar for a branch in ``state`` (UF, e.g. "SP") and ``city``."""
    uf = state.strip().upper()
    wanted_years = sorted(set(years))
    if not wanted_years:
        raise ValueError("years must name at least one year")
    unknown = set(optional_days) - set(OptionalDay)
    if unknown:
        raise ValueError(f"unknown optional days {sorted(unknown)}; known: {list(OptionalDay)}")
    closed: dict[date, str] = {}
    for subdivision in _subdivisions(uf, city):
        _merge(closed, _public_holidays(subdivision, wanted_years))
    for day, reason in _optional_holidays(uf, wanted_years, optional_days).items():
        closed.setdefault(day, reason)
    _merge(closed, extra_closures)
    return BranchCalendar(
        timezone=timezone,
        closed_days=closed,
        working_weekdays=working_weekdays,
        opens_at=opens_at,
        closes_at=closes_at,
    )


def knows_city(uf: str, city: str) -> bool:
    """Whether the holidays package models ``city``'s municipal holidays."""
    return (uf, _plain(city)) in _CITY_SUBDIVISIONS


def _subdivisions(uf: str, city: str | None) -> list[str]:
    # Two letters: the package's city subdivisions are reached through ``city`` only.
    if len(uf) != 2 or uf not in holidays.country_holidays("BR").subdivisions:
        raise ValueError(f"unknown Brazilian state (UF) {uf!r}")
    if city is None:
        return [uf]
    city_subdivision = _CITY_SUBDIVISIONS.get((uf, _plain(city)))
    if city_subdivision is None:
        raise ValueError(
            f"no municipal holidays known for {city}/{uf}: pass city=None and give them "
            "in extra_closures"
        )
    return [uf, city_subdivision]


def _public_holidays(subdivision: str, years: list[int]) -> dict[date, str]:
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
                    closed[day] = name + _OPTIONAL_SUFFIX
    missing = {(year, OptionalDay(key)) for year in years for key in chosen} - seen
    if missing:
        raise ValueError(f"the holidays package no longer provides {sorted(missing)}")
    return closed


def _optional_key(day: date, name: str) -> OptionalDay | None:
    if name == _CARNIVAL_NAME:
        return _CARNIVAL_BY_WEEKDAY.get(day.weekday())
    return _OPTIONAL_BY_NAME.get(name)


def _merge(closed: dict[date, str], more: Mapping[date, str]) -> None:
    for day, reason in more.items():
        known = closed.get(day)
        if known is None:
            closed[day] = reason
        elif reason not in known.split("; "):
            closed[day] = f"{known}; {reason}"


def _plain(name: str) -> str:
    """ "São  Paulo" -> "sao paulo": city names compare without accents, case or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())
