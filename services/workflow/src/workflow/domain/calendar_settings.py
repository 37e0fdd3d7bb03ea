"""A branch's own calendar settings, and the calendar they make with the holidays package.

Rules:

- A branch works ``working_weekdays`` (0 = Monday … 6 = Sunday; Monday to Friday by default)
  from ``opens_at`` to ``closes_at`` (09:00–18:00), local time in the branch's time zone (which
  comes from intake's branch, ``branch.upserted.v1``). ``closing_by_weekday`` closes some
  weekdays at another time (Saturday mornings: ``{5: 13:00}``).
- ``municipal_holidays`` are the city's holidays this service does not know (every city but São
  Paulo and Rio de Janeiro); ``every_year`` repeats one on the same day each year (29 February
  only in leap years). ``closures`` are the branch's own closed days (inventory, renovation).
- The chain chooses its "pontos facultativos" once for all its branches (``optional_days``,
  keys of ``OptionalDay``); each branch row carries a copy.
- Everything is checked with the field named: weekdays 0–6 and at least one, opening before
  every closing time, dates from 2000 to 2100, a description on every date, a date at most once
  per list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from types import MappingProxyType
from typing import NotRequired, TypedDict

from workflow.domain.calendar import (
    DEFAULT_CLOSES_AT,
    DEFAULT_OPENS_AT,
    MONDAY_TO_FRIDAY,
    WEEKDAY_NAMES,
)
from workflow.domain.problems import FieldProblem, control_character_problem

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True, slots=True)
class DatedDay:
    day: date
    description: str
    every_year: bool = False


class DatedDayJson(TypedDict):
    date: str
    description: str
    every_year: NotRequired[bool]


class CalendarJson(TypedDict, total=False):
    """The settings as stored (``branches.calendar``); a missing key takes its default."""

    working_weekdays: list[int]
    opens_at: str
    closes_at: str
    closing_by_weekday: dict[str, str]
    municipal_holidays: list[DatedDayJson]
    closures: list[DatedDayJson]


@dataclass(frozen=True, slots=True)
class CalendarSettings:
    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    opens_at: time = DEFAULT_OPENS_AT
    closes_at: time = DEFAULT_CLOSES_AT
    closing_by_weekday: Mapping[int, time] = field(default_factory=lambda: MappingProxyType({}))
    municipal_holidays: tuple[DatedDay, ...] = ()
    closures: tuple[DatedDay, ...] = ()

    def to_json(self) -> CalendarJson:
        return {
            "working_weekdays": sorted(self.working_weekdays),
            "opens_at": self.opens_at.isoformat("minutes"),
            "closes_at": self.closes_at.isoformat("minutes"),
            "closing_by_weekday": {
                str(day): closes.isoformat("minutes")
                for day, closes in sorted(self.closing_by_weekday.items())
            },
            "municipal_holidays": [_day_json(day) for day in self.municipal_holidays],
            "closures": [_day_json(day) for day in self.closures],
        }

    @classmethod
    def from_json(cls, data: CalendarJson) -> CalendarSettings:
        """Settings stored by ``to_json``; ``{}`` gives the defaults."""
        return cls(
            working_weekdays=frozenset(data.get("working_weekdays", MONDAY_TO_FRIDAY)),
            opens_at=time.fromisoformat(data.get("opens_at", DEFAULT_OPENS_AT.isoformat())),
            closes_at=time.fromisoformat(data.get("closes_at", DEFAULT_CLOSES_AT.isoformat())),
            closing_by_weekday=MappingProxyType(
                {
                    int(day): time.fromisoformat(closes)
                    for day, closes in data.get("closing_by_weekday", {}).items()
                }
            ),
            municipal_holidays=tuple(_day(d) for d in data.get("municipal_holidays", ())),
            closures=tuple(_day(d) for d in data.get("closures", ())),
        )


def settings_problems(settings: CalendarSettings) -> list[FieldProblem]:
    """Every problem of ``settings``, each naming its field."""
    problems: list[FieldProblem] = []
    bad_days = sorted(day for day in settings.working_weekdays if day not in range(7))
    if bad_days:
        problems.append(
            FieldProblem("working_weekdays", f"{bad_days} not a weekday: 0 = Monday … 6 = Sunday")
        )
    elif not settings.working_weekdays:
        problems.append(FieldProblem("working_weekdays", "the branch must work at least one day"))
    clock_times = [("opens_at", settings.opens_at), ("closes_at", settings.closes_at)]
    clock_times += [(f"closing_by_weekday.{d}", t) for d, t in settings.closing_by_weekday.items()]
    odd = [
        FieldProblem(path, "a local wall-clock time in hours and minutes (HH:MM), no time zone")
        for path, value in clock_times
        if value.tzinfo is not None or value.second or value.microsecond
    ]
    if odd:
        return problems + odd  # comparing them would mix zoned and local times
    if not settings.opens_at < settings.closes_at:
        problems.append(
            FieldProblem("closes_at", f"must be after opens_at ({settings.opens_at:%H:%M})")
        )
    for weekday, closes in sorted(settings.closing_by_weekday.items()):
        path = f"closing_by_weekday.{weekday}"
        if weekday not in range(7):
            problems.append(FieldProblem(path, "not a weekday: 0 = Monday … 6 = Sunday"))
        elif not settings.opens_at < closes:
            problems.append(
                FieldProblem(
                    path,
                    f"{WEEKDAY_NAMES[weekday]} must close after opens_at "
                    f"({settings.opens_at:%H:%M})",
                )
            )
    for name, days in (
        ("municipal_holidays", settings.municipal_holidays),
        ("closures", settings.closures),
    ):
        seen: dict[tuple[int, int, int | None], int] = {}
        for index, day in enumerate(days):
            path = f"{name}[{index}]"
            if not FIRST_YEAR <= day.day.year <= LAST_YEAR:
                problems.append(
                    FieldProblem(f"{path}.date", f"must be from {FIRST_YEAR} to {LAST_YEAR}")
                )
            if control := control_character_problem(f"{path}.description", day.description):
                problems.extend(control)
            elif not day.description.strip():
                problems.append(FieldProblem(f"{path}.description", "must not be blank"))
            elif len(day.description) > 200:
                problems.append(FieldProblem(f"{path}.description", "at most 200 characters"))
            key = (day.day.month, day.day.day, None if day.every_year else day.day.year)
            if key in seen:
                problems.append(
                    FieldProblem(f"{path}.date", f"{day.day:%d/%m/%Y} repeats {name}[{seen[key]}]")
                )
            else:
                seen[key] = index
    return problems


def expand(days: Iterable[DatedDay], years: Iterable[int]) -> dict[date, str]:
    """Dated days as date -> description; yearly ones repeated in every year of ``years``."""
    expanded: dict[date, str] = {}
    for day in days:
        if not day.every_year:
            _add(expanded, day.day, day.description)
            continue
        for year in years:
            try:
                _add(expanded, day.day.replace(year=year), day.description)
            except ValueError:  # 29 February in a common year
                continue
    return expanded


def _add(days: dict[date, str], day: date, description: str) -> None:
    days[day] = f"{days[day]}; {description}" if day in days else description


def _day_json(day: DatedDay) -> DatedDayJson:
    return {
        "date": day.day.isoformat(),
        "description": day.description,
        "every_year": day.every_year,
    }


def _day(data: DatedDayJson) -> DatedDay:
    return DatedDay(
        date.fromisoformat(data["date"]), data["description"], bool(data.get("every_year", False))
    )
