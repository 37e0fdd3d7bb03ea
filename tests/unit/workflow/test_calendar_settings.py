"""A branch's calendar settings: checked field by field, stored as JSON, built into a calendar."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time
from types import MappingProxyType
from typing import Any

import pytest

from workflow.adapters.holidays import (
    CalendarCache,
    HolidaySource,
    branch_calendar,
    branch_closed_days,
)
from workflow.domain.calendar_settings import (
    CalendarSettings,
    DatedDay,
    expand,
    settings_problems,
)
from workflow.domain.records import Branch


def branch(**changes: Any) -> Branch:
    row = Branch(
        branch_id=uuid.uuid4(),
        chain_id=uuid.uuid4(),
        code="CP01",
        name="Campinas",
        state="SP",
        city="Campinas",
        timezone="America/Sao_Paulo",
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return replace(row, **changes)


def test_settings_round_trip_through_json() -> None:
    settings = CalendarSettings(
        working_weekdays=frozenset(range(6)),
        opens_at=time(10),
        closes_at=time(19, 30),
        closing_by_weekday=MappingProxyType({5: time(13)}),
        municipal_holidays=(DatedDay(date(2026, 12, 8), "Nossa Senhora da Conceição", True),),
        closures=(DatedDay(date(2026, 3, 2), "Inventário"),),
    )

    assert CalendarSettings.from_json(settings.to_json()) == settings
    assert CalendarSettings.from_json({}) == CalendarSettings()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (CalendarSettings(working_weekdays=frozenset()), "working_weekdays: the branch must"),
        (CalendarSettings(working_weekdays=frozenset({7})), "working_weekdays: [7] not a weekday"),
        (CalendarSettings(opens_at=time(18), closes_at=time(9)), "closes_at: must be after"),
        (CalendarSettings(opens_at=time(9, tzinfo=UTC)), "opens_at: a local wall-clock time"),
        (
            CalendarSettings(opens_at=time(17, 59, 10), closes_at=time(17, 59, 50)),
            "opens_at: a local wall-clock time in hours and minutes",
        ),
        (
            CalendarSettings(closing_by_weekday={5: time(13, tzinfo=UTC)}),
            "closing_by_weekday.5: a local wall-clock time",
        ),
        (
            CalendarSettings(closing_by_weekday={5: time(8)}),
            "closing_by_weekday.5: sábado must close after opens_at (09:00)",
        ),
        (
            CalendarSettings(closures=(DatedDay(date(1999, 1, 4), "Reforma"),)),
            "closures[0].date: must be from 2000 to 2100",
        ),
        (
            CalendarSettings(closures=(DatedDay(date(2026, 3, 2), " "),)),
            "closures[0].description: must not be blank",
        ),
        (
            CalendarSettings(closures=(DatedDay(date(2026, 3, 2), "Re\x00forma"),)),
            "closures[0].description: must not contain control characters",
        ),
        (
            CalendarSettings(
                municipal_holidays=(
                    DatedDay(date(2026, 8, 15), "Padroeira", True),
                    DatedDay(date(2027, 8, 15), "Padroeira de novo", True),
                )
            ),
            "municipal_holidays[1].date: 15/08/2027 repeats municipal_holidays[0]",
        ),
    ],
)
def test_bad_settings_name_the_field(settings: CalendarSettings, expected: str) -> None:
    found = [str(problem) for problem in settings_problems(settings)]

    assert any(problem.startswith(expected) for problem in found), found


def test_yearly_days_repeat_every_year_and_29_february_only_in_leap_years() -> None:
    days = (
        DatedDay(date(2024, 2, 29), "Bissexto", True),
        DatedDay(date(2026, 8, 15), "Padroeira", True),
        DatedDay(date(2026, 3, 2), "Inventário"),
    )

    assert expand(days, [2027, 2028]) == {
        date(2028, 2, 29): "Bissexto",
        date(2027, 8, 15): "Padroeira",
        date(2028, 8, 15): "Padroeira",
        date(2026, 3, 2): "Inventário",
    }


def test_a_branch_row_makes_its_calendar_with_every_setting() -> None:
    settings = CalendarSettings(
        working_weekdays=frozenset(range(6)),
        closing_by_weekday=MappingProxyType({5: time(13)}),
        municipal_holidays=(DatedDay(date(2026, 12, 8), "Nossa Senhora da Conceição", True),),
        closures=(DatedDay(date(2026, 3, 2), "Inventário"),),
    )
    row = branch(calendar=settings, optional_days=frozenset({"carnival_monday"}))

    calendar = branch_calendar(row, [2026, 2027])

    assert calendar.closed_days[date(2027, 12, 8)] == "Nossa Senhora da Conceição"
    assert calendar.closed_days[date(2026, 3, 2)] == "Inventário"
    assert calendar.closed_days[date(2026, 2, 16)] == "Carnaval (ponto facultativo)"
    assert calendar.closes_on(date(2026, 3, 7)) == time(13)
    assert calendar.is_business_day(date(2026, 3, 7))  # a Saturday


def test_closed_days_of_a_rio_branch_carry_their_sources() -> None:
    row = branch(
        state="RJ",
        city="Rio de Janeiro",
        calendar=CalendarSettings(closures=(DatedDay(date(2026, 5, 4), "Reforma"),)),
    )

    sources = {(e.day, e.source) for e in branch_closed_days(row, [2026])}

    assert (date(2026, 1, 20), HolidaySource.MUNICIPAL) in sources
    assert (date(2026, 4, 23), HolidaySource.STATE) in sources
    assert (date(2026, 4, 21), HolidaySource.NATIONAL) in sources
    assert (date(2026, 5, 4), HolidaySource.BRANCH) in sources


def test_the_cache_rebuilds_when_the_calendar_revision_or_branch_changes() -> None:
    cache = CalendarCache()
    now = datetime(2026, 2, 1, tzinfo=UTC)
    row = branch()
    first = cache.for_branch(row, now)

    assert cache.for_branch(replace(row), now) is first
    closed = CalendarSettings(closures=(DatedDay(date(2026, 3, 2), "Inventário"),))
    changed = cache.for_branch(replace(row, calendar=closed, calendar_revision=1), now)
    assert changed is not first
    assert date(2026, 3, 2) in changed.closed_days
    moved = cache.for_branch(replace(row, updated_at=now, timezone="America/Manaus"), now)
    assert moved.timezone == "America/Manaus"
    cache.invalidate(row.branch_id)
    assert (
        cache.for_branch(replace(row, updated_at=now, timezone="America/Manaus"), now) is not moved
    )
