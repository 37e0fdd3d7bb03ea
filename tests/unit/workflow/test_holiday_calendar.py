"""Branch calendars built from the ``holidays`` package, and deadlines over them in 2026–2027."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from workflow.adapters.holidays import (
    ClosedDay,
    HolidaySource,
    OptionalDay,
    build_branch_calendar,
    closed_day_list,
    knows_city,
)
from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.deadlines import compute_deadline

YEARS = (2026, 2027)
CARNIVAL = frozenset({OptionalDay.CARNIVAL_MONDAY, OptionalDay.CARNIVAL_TUESDAY})


def sao_paulo_city(optional_days: frozenset[str] = frozenset()) -> BranchCalendar:
    return build_branch_calendar("SP", "São Paulo", "America/Sao_Paulo", YEARS, optional_days)


# --- what a calendar holds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 1, 1), "Confraternização Universal"),
        (date(2026, 4, 3), "Sexta-feira Santa"),
        (date(2027, 3, 26), "Sexta-feira Santa"),
        (date(2026, 4, 21), "Tiradentes"),
        (date(2026, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"),
        (date(2027, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"),
        (date(2027, 12, 25), "Natal"),
    ],
)
def test_every_branch_closes_on_national_holidays(day: date, reason: str) -> None:
    calendar = build_branch_calendar("PE", None, "America/Recife", YEARS)

    assert calendar.closed_days[day] == reason


def test_a_holiday_with_two_names_keeps_both() -> None:
    calendar = build_branch_calendar("MG", None, "America/Sao_Paulo", YEARS)

    assert calendar.closed_days[date(2026, 4, 21)] == "Execução de Tiradentes; Tiradentes"


def test_a_branch_closes_on_its_state_holidays_only() -> None:
    sao_paulo_state = build_branch_calendar("SP", None, "America/Sao_Paulo", YEARS)
    rio = build_branch_calendar("rj", None, "America/Sao_Paulo", YEARS)

    assert sao_paulo_state.closed_days[date(2026, 7, 9)] == "Revolução Constitucionalista"
    assert date(2026, 7, 9) not in rio.closed_days
    assert rio.closed_days[date(2026, 4, 23)] == "São Jorge"
    assert date(2026, 4, 23) not in sao_paulo_state.closed_days


def test_sao_paulo_city_adds_its_municipal_holidays_to_the_state_ones() -> None:
    city = sao_paulo_city()
    state = build_branch_calendar("SP", None, "America/Sao_Paulo", YEARS)

    assert city.closed_days[date(2026, 1, 25)] == "Aniversário da Cidade de São Paulo"
    assert city.closed_days[date(2027, 1, 25)] == "Aniversário da Cidade de São Paulo"
    assert city.closed_days[date(2026, 6, 4)] == "Corpus Christi"
    assert city.closed_days[date(2026, 7, 9)] == "Revolução Constitucionalista"
    assert set(city.closed_days) - set(state.closed_days) == {
        date(2026, 1, 25),
        date(2027, 1, 25),
        date(2026, 6, 4),
        date(2027, 5, 27),
    }


@pytest.mark.parametrize("city", ["São Paulo", "sao paulo", "  SÃO   PAULO "])
def test_the_city_name_is_read_without_caring_for_accents_or_case(city: str) -> None:
    calendar = build_branch_calendar("SP", city, "America/Sao_Paulo", YEARS)

    assert date(2026, 1, 25) in calendar.closed_days


@pytest.mark.parametrize(
    ("key", "days"),
    [
        (OptionalDay.CARNIVAL_MONDAY, [date(2026, 2, 16), date(2027, 2, 8)]),
        (OptionalDay.CARNIVAL_TUESDAY, [date(2026, 2, 17), date(2027, 2, 9)]),
        (OptionalDay.ASH_WEDNESDAY, [date(2026, 2, 18), date(2027, 2, 10)]),
        (OptionalDay.CORPUS_CHRISTI, [date(2026, 6, 4), date(2027, 5, 27)]),
        (OptionalDay.PUBLIC_SERVANTS_DAY, [date(2026, 10, 28), date(2027, 10, 28)]),
        (OptionalDay.CHRISTMAS_EVE, [date(2026, 12, 24), date(2027, 12, 24)]),
        (OptionalDay.NEW_YEARS_EVE, [date(2026, 12, 31), date(2027, 12, 31)]),
    ],
)
def test_each_optional_day_closes_the_branch_only_when_the_chain_chooses_it(
    key: OptionalDay, days: list[date]
) -> None:
    without = build_branch_calendar("SP", None, "America/Sao_Paulo", YEARS)
    with_it = build_branch_calendar("SP", None, "America/Sao_Paulo", YEARS, frozenset({key}))

    assert set(with_it.closed_days) - set(without.closed_days) == set(days)
    assert all(with_it.closed_days[day].endswith(" (ponto facultativo)") for day in days)


def test_optional_days_are_given_as_plain_strings_too() -> None:
    calendar = build_branch_calendar("SP", None, "America/Sao_Paulo", YEARS, {"carnival_monday"})

    assert calendar.closed_days[date(2026, 2, 16)] == "Carnaval (ponto facultativo)"


def test_an_optional_day_that_is_also_a_public_holiday_keeps_the_public_name() -> None:
    city = sao_paulo_city(frozenset({OptionalDay.CORPUS_CHRISTI}))
    rio = build_branch_calendar("RJ", None, "America/Sao_Paulo", YEARS, CARNIVAL)

    assert city.closed_days[date(2026, 6, 4)] == "Corpus Christi"
    assert rio.closed_days[date(2026, 2, 17)] == "Carnaval"  # a state holiday in RJ
    assert rio.closed_days[date(2026, 2, 16)] == "Carnaval (ponto facultativo)"


@pytest.mark.parametrize("year", range(2024, 2036))
def test_the_holidays_package_still_provides_every_optional_day(year: int) -> None:
    calendar = build_branch_calendar(
        "SP", None, "America/Sao_Paulo", [year], frozenset(OptionalDay)
    )

    optional = [why for why in calendar.closed_days.values() if "ponto facultativo" in why]
    assert len(optional) == len(OptionalDay)


def test_branch_closures_join_the_holidays_and_share_a_day_with_them() -> None:
    calendar = build_branch_calendar(
        "SP",
        "São Paulo",
        "America/Sao_Paulo",
        YEARS,
        extra_closures={
            date(2026, 3, 2): "Fechamento para inventário",
            date(2027, 1, 25): "Reforma da loja",
        },
    )

    assert calendar.closed_days[date(2026, 3, 2)] == "Fechamento para inventário"
    assert calendar.closed_days[date(2027, 1, 25)] == (
        "Aniversário da Cidade de São Paulo; Reforma da loja"
    )


def test_working_week_hours_and_zone_are_passed_through() -> None:
    calendar = build_branch_calendar(
        "AM",
        None,
        "America/Manaus",
        YEARS,
        working_weekdays=frozenset(range(6)),
        opens_at=time(10),
        closes_at=time(22),
    )

    assert calendar.timezone == "America/Manaus"
    assert calendar.working_weekdays == frozenset(range(6))
    assert (calendar.opens_at, calendar.closes_at) == (time(10), time(22))


@pytest.mark.parametrize(
    ("state", "city", "years", "optional", "complaint"),
    [
        ("XX", None, YEARS, frozenset(), "unknown Brazilian state"),
        ("São Paulo Capital", None, YEARS, frozenset(), "unknown Brazilian state"),
        ("SP", "Campinas", YEARS, frozenset(), "no municipal holidays known for Campinas/SP"),
        ("RJ", "São Paulo", YEARS, frozenset(), "no municipal holidays known"),
        ("SP", None, (), frozenset(), "at least one year"),
        ("SP", None, YEARS, frozenset({"carnival"}), "unknown optional days"),
    ],
)
def test_a_calendar_request_that_makes_no_sense_is_refused(
    state: str, city: str | None, years: tuple[int, ...], optional: frozenset[str], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        build_branch_calendar(state, city, "America/Sao_Paulo", years, optional)


def test_rio_de_janeiro_city_closes_on_sao_sebastiao_as_well_as_the_state_holidays() -> None:
    city = build_branch_calendar("RJ", "Rio de Janeiro", "America/Sao_Paulo", YEARS)
    state = build_branch_calendar("RJ", None, "America/Sao_Paulo", YEARS)

    assert knows_city("RJ", "rio de janeiro")
    assert not knows_city("RJ", "Niterói")
    assert city.closed_days[date(2026, 1, 20)] == "Dia de São Sebastião"
    assert city.closed_days[date(2027, 1, 20)] == "Dia de São Sebastião"
    assert city.closed_days[date(2026, 4, 23)] == "São Jorge"  # state
    assert set(city.closed_days) - set(state.closed_days) == {date(2026, 1, 20), date(2027, 1, 20)}


def test_each_closed_day_is_listed_with_its_source() -> None:
    listed = closed_day_list(
        "SP",
        "São Paulo",
        [2026],
        frozenset({OptionalDay.CARNIVAL_MONDAY, OptionalDay.CORPUS_CHRISTI}),
        {date(2026, 3, 2): "Inventário"},
        municipal_holidays={date(2026, 8, 15): "Feriado do bairro"},
    )
    by_day = {(entry.day, entry.name): entry.source for entry in listed}

    assert by_day[(date(2026, 1, 1), "Confraternização Universal")] == HolidaySource.NATIONAL
    assert by_day[(date(2026, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra")] == (
        HolidaySource.NATIONAL
    )
    assert by_day[(date(2026, 7, 9), "Revolução Constitucionalista")] == HolidaySource.STATE
    assert by_day[(date(2026, 1, 25), "Aniversário da Cidade de São Paulo")] == (
        HolidaySource.MUNICIPAL
    )
    assert by_day[(date(2026, 2, 16), "Carnaval")] == HolidaySource.OPTIONAL
    assert by_day[(date(2026, 8, 15), "Feriado do bairro")] == HolidaySource.MUNICIPAL
    assert by_day[(date(2026, 3, 2), "Inventário")] == HolidaySource.BRANCH
    # Corpus Christi is a municipal holiday in São Paulo city: listed once, not as optional.
    assert [e for e in listed if e.day == date(2026, 6, 4)] == [
        ClosedDay(date(2026, 6, 4), "Corpus Christi", HolidaySource.MUNICIPAL)
    ]
    assert [entry.day for entry in listed] == sorted(entry.day for entry in listed)


def test_a_branch_municipal_holiday_closes_the_branch() -> None:
    calendar = build_branch_calendar(
        "SP",
        None,
        "America/Sao_Paulo",
        YEARS,
        municipal_holidays={date(2026, 8, 15): "Nossa Senhora da Assunção"},
    )

    assert calendar.closed_days[date(2026, 8, 15)] == "Nossa Senhora da Assunção"


# --- deadlines across the 2026–2027 holidays ---------------------------------------------------

SP_STATE = build_branch_calendar("SP", None, "America/Sao_Paulo", YEARS)
SP_STATE_WITH_CARNIVAL = build_branch_calendar("SP", None, "America/Sao_Paulo", YEARS, CARNIVAL)
SP_STATE_WITH_CORPUS_CHRISTI = build_branch_calendar(
    "SP", None, "America/Sao_Paulo", YEARS, frozenset({OptionalDay.CORPUS_CHRISTI})
)
SP_CITY = sao_paulo_city()
RJ_STATE = build_branch_calendar("RJ", None, "America/Sao_Paulo", YEARS)
RJ_CITY = build_branch_calendar("RJ", "Rio de Janeiro", "America/Sao_Paulo", YEARS)
MG_STATE = build_branch_calendar("MG", None, "America/Sao_Paulo", YEARS)
SP_WITH_INVENTORY = build_branch_calendar(
    "SP",
    None,
    "America/Sao_Paulo",
    YEARS,
    extra_closures={date(2026, 3, 2): "Fechamento para inventário"},
)

HOLIDAY_CASES = [
    # (name, calendar, entry at 10:00, planned days, counting, due day, reason skipped)
    ("carnival observed", SP_STATE_WITH_CARNIVAL, "2026-02-13", 3, "business", "2026-02-20",
     "Carnaval (ponto facultativo)"),
    ("carnival not observed", SP_STATE, "2026-02-13", 3, "business", "2026-02-18", None),
    ("carnival 2027 observed", SP_STATE_WITH_CARNIVAL, "2027-02-05", 1, "business", "2027-02-10",
     "Carnaval (ponto facultativo)"),
    ("carnival tuesday in Rio", RJ_STATE, "2026-02-13", 2, "business", "2026-02-18", "Carnaval"),
    ("good friday 2026", SP_STATE, "2026-04-02", 1, "business", "2026-04-06",
     "Sexta-feira Santa"),
    ("good friday 2027", MG_STATE, "2027-03-25", 1, "business", "2027-03-29",
     "Sexta-feira Santa"),
    ("corpus christi observed", SP_STATE_WITH_CORPUS_CHRISTI, "2026-06-03", 1, "business",
     "2026-06-05", "Corpus Christi (ponto facultativo)"),
    ("corpus christi not observed", SP_STATE, "2026-06-03", 1, "business", "2026-06-04", None),
    ("corpus christi in São Paulo city", SP_CITY, "2027-05-26", 1, "business", "2027-05-28",
     "Corpus Christi"),
    ("20 november", MG_STATE, "2026-11-19", 1, "business", "2026-11-23",
     "Dia Nacional de Zumbi e da Consciência Negra"),
    ("20 november, calendar days", MG_STATE, "2026-11-17", 3, "calendar", "2026-11-23",
     "Dia Nacional de Zumbi e da Consciência Negra"),
    ("9 july in São Paulo", SP_STATE, "2026-07-08", 1, "business", "2026-07-10",
     "Revolução Constitucionalista"),
    ("9 july 2027 in São Paulo", SP_STATE, "2027-07-08", 1, "business", "2027-07-12",
     "Revolução Constitucionalista"),
    ("9 july is a working day in Rio", RJ_STATE, "2026-07-08", 1, "business", "2026-07-09", None),
    ("25 january in São Paulo city", SP_CITY, "2027-01-22", 1, "business", "2027-01-26",
     "Aniversário da Cidade de São Paulo"),
    ("25 january outside the city", SP_STATE, "2027-01-22", 1, "business", "2027-01-25", None),
    ("20 january in Rio city", RJ_CITY, "2026-01-19", 1, "business", "2026-01-21",
     "Dia de São Sebastião"),
    ("20 january outside Rio city", RJ_STATE, "2026-01-19", 1, "business", "2026-01-20", None),
    ("são jorge in Rio", RJ_STATE, "2027-04-22", 1, "business", "2027-04-26", "São Jorge"),
    ("branch closure", SP_WITH_INVENTORY, "2026-02-27", 1, "business", "2026-03-03",
     "Fechamento para inventário"),
    ("christmas and new year", SP_STATE, "2026-12-23", 6, "business", "2027-01-04", "Natal"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar", "entry", "planned", "counting", "due", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in HOLIDAY_CASES],
)
def test_deadlines_across_the_2026_2027_holidays(
    calendar: BranchCalendar,
    entry: str,
    planned: int,
    counting: str,
    due: str,
    reason: str | None,
) -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    start = datetime.fromisoformat(f"{entry}T10:00").replace(tzinfo=zone)

    deadline = compute_deadline(start, planned, DayCounting(counting), calendar)

    assert deadline.due_at == datetime.fromisoformat(f"{due}T18:00").replace(tzinfo=zone)
    reasons = {skipped.reason for skipped in deadline.explanation.skipped_days}
    assert reasons <= {"sábado", "domingo"} if reason is None else reason in reasons
