"""The corrections to the ``holidays`` package's state days (workflow.adapters.
state_holiday_overrides): each line is pinned, each removal still names a day the package gives
(a package upgrade that changes it fails here, to be checked again), and deadlines follow."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays
import pytest

from shared.state_holidays import OVERRIDES, Change, StateOverride
from workflow.adapters.holidays import HolidaySource, build_branch_calendar, closed_day_list
from workflow.domain.calendar import DayCounting
from workflow.domain.deadlines import compute_deadline

YEARS = (2026, 2027, 2028)


def state_days(uf: str, city: str | None = None) -> dict[date, set[str]]:
    found: dict[date, set[str]] = {}
    for entry in closed_day_list(uf, city, YEARS):
        if entry.source == HolidaySource.STATE:
            found.setdefault(entry.day, set()).add(entry.name)
    return found


def test_the_table_is_the_one_checked_against_the_sources() -> None:
    assert {(o.uf, f"{o.day:02d}/{o.month:02d}", o.change.value, o.since) for o in OVERRIDES} == {
        ("AC", "06/08", "add", None),
        ("AP", "15/05", "add", 2018),
        ("AP", "25/07", "remove", 2019),
        ("CE", "19/03", "remove", None),
        ("CE", "15/08", "remove", None),
        ("RN", "07/08", "remove", None),
        ("RO", "18/06", "remove", None),
        ("TO", "18/03", "remove", 2009),
    }


@pytest.mark.parametrize("override", OVERRIDES, ids=lambda o: f"{o.uf}-{o.month:02d}-{o.day:02d}")
def test_every_line_names_at_least_two_sources(override: StateOverride) -> None:
    keys = ("feriados-brasil", "brazilian-utils", "feriados-dev", "workalendar", "ce-calendar")
    assert sum(key in override.sources for key in keys) >= 2, override.sources


@pytest.mark.parametrize(
    "override",
    [o for o in OVERRIDES if o.change is Change.REMOVE],
    ids=lambda o: f"{o.uf}-{o.month:02d}-{o.day:02d}",
)
def test_a_removed_day_is_one_the_package_gives_and_the_calendar_drops(
    override: StateOverride,
) -> None:
    package = holidays.country_holidays(
        "BR", subdiv=override.uf, years=YEARS, language="pt_BR", categories=(holidays.PUBLIC,)
    )
    for year in YEARS:
        day = override.on(year)
        assert override.name in package.get(day, "").split("; "), (override.uf, day)
        assert override.name not in state_days(override.uf).get(day, set())


@pytest.mark.parametrize(
    ("uf", "day", "name"),
    [
        ("AC", date(2026, 8, 6), "Início da Revolução Acreana"),
        ("AC", date(2027, 8, 6), "Início da Revolução Acreana"),
        ("AC", date(2028, 8, 6), "Início da Revolução Acreana"),
        ("AP", date(2026, 5, 15), "Dia de Cabralzinho"),
        ("AP", date(2028, 5, 15), "Dia de Cabralzinho"),
    ],
)
def test_an_added_day_is_a_state_day_of_its_state_only(uf: str, day: date, name: str) -> None:
    assert name in state_days(uf).get(day, set())
    assert name not in state_days("SP").get(day, set())


def test_the_days_left_as_the_package_gives_them() -> None:
    """GO 24/10 is a state day (Lei GO nº 20.756/2020, art. 269, II, b); PE's 24/06 and AM's
    08/12 are disputed and close only their capitals (city_holidays.csv)."""
    assert "Pedra fundamental de Goiânia" in state_days("GO")[date(2026, 10, 24)]
    assert date(2026, 6, 24) not in state_days("PE")
    assert date(2026, 12, 8) not in state_days("AM")
    recife = {e.day for e in closed_day_list("PE", "Recife", YEARS)}
    manaus = {e.day for e in closed_day_list("AM", "Manaus", YEARS)}
    assert date(2026, 6, 24) in recife
    assert date(2026, 12, 8) in manaus


def test_fortaleza_keeps_its_municipal_days_and_the_rest_of_ceara_works() -> None:
    fortaleza = {e.day: e for e in closed_day_list("CE", "Fortaleza", YEARS)}
    interior = {e.day for e in closed_day_list("CE", None, YEARS)}
    for day in (date(2026, 3, 19), date(2028, 8, 15)):
        assert fortaleza[day].source == HolidaySource.MUNICIPAL
        assert day not in interior
    assert date(2026, 3, 25) in interior  # Data Magna: the state day that stays


@pytest.mark.parametrize(
    ("uf", "city", "entered", "due"),
    [
        # Tue 15/08/2028: a working day in Ceará's interior, Fortaleza's padroeira.
        ("CE", None, datetime(2028, 8, 14, 10), datetime(2028, 8, 15, 18)),
        ("CE", "Fortaleza", datetime(2028, 8, 14, 10), datetime(2028, 8, 16, 18)),
        # Thu 06/08/2026, Revolução Acreana: from Wed, 1 business day ends Fri.
        ("AC", None, datetime(2026, 8, 5, 10), datetime(2026, 8, 7, 18)),
        # Fri 15/05/2026, Dia de Cabralzinho: from Thu, 1 business day ends Mon.
        ("AP", None, datetime(2026, 5, 14, 10), datetime(2026, 5, 18, 18)),
        # Wed 18/03/2026 in Tocantins and Thu 18/06/2026 in Rondônia are working days.
        ("TO", None, datetime(2026, 3, 17, 10), datetime(2026, 3, 18, 18)),
        ("RO", None, datetime(2026, 6, 17, 10), datetime(2026, 6, 18, 18)),
        # Fri 07/08/2026 in Rio Grande do Norte, Mon 25/07/2028 in Amapá: working days.
        ("RN", None, datetime(2026, 8, 6, 10), datetime(2026, 8, 7, 18)),
        ("AP", None, datetime(2028, 7, 24, 10), datetime(2028, 7, 25, 18)),
    ],
)
def test_deadlines_follow_the_corrected_state_days(
    uf: str, city: str | None, entered: datetime, due: datetime
) -> None:
    zone = "America/Fortaleza"
    calendar = build_branch_calendar(uf, city, zone, YEARS)
    deadline = compute_deadline(
        entered.replace(tzinfo=ZoneInfo(zone)), 1, DayCounting.BUSINESS, calendar
    )
    assert deadline.due_at.replace(tzinfo=None) == due
