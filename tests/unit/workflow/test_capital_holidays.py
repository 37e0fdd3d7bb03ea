"""The 27 capitals' municipal holidays (workflow.adapters.city_holidays): each capital is known,
state days stay state days, movable ones follow Easter, and deadlines skip them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from workflow.adapters.city_holidays import CAPITALS, capital_holidays, knows_capital
from workflow.adapters.holidays import (
    HolidaySource,
    build_branch_calendar,
    closed_day_list,
    knows_city,
)
from workflow.domain.calendar import DayCounting
from workflow.domain.deadlines import compute_deadline
from workflow.domain.movable_days import easter_sunday

YEARS = (2026, 2027, 2028)


def sources(state: str, city: str | None, day: date) -> dict[str, HolidaySource]:
    return {e.name: e.source for e in closed_day_list(state, city, YEARS) if e.day == day}


def test_there_are_27_capitals_all_known_and_matched_without_accents() -> None:
    assert len(CAPITALS) == 27
    for state, city in CAPITALS.items():
        assert knows_city(state, city)
    assert knows_capital("ma", "  SAO   luis ")
    assert knows_capital("PA", "Belem")
    assert not knows_capital("SP", "Campinas")
    assert not knows_capital("MA", "Salvador")  # a capital's name in another state


def test_every_line_has_a_source() -> None:
    for state, city in CAPITALS.items():
        for holiday in capital_holidays(state, city):
            assert holiday.source.strip(), (city, holiday.name)
            assert "lei" in holiday.source.lower()


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2026, date(2026, 4, 5)), (2027, date(2027, 3, 28)), (2028, date(2028, 4, 16)),
     (2024, date(2024, 3, 31)), (2019, date(2019, 4, 21)), (2000, date(2000, 4, 23))],
)  # fmt: skip
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


CASES = [
    # (state, city, day, name, source)
    ("SP", "São Paulo", date(2026, 1, 25), "Aniversário da Cidade de São Paulo", "municipal"),
    ("SP", "São Paulo", date(2027, 5, 27), "Corpus Christi", "municipal"),
    ("SP", "São Paulo", date(2028, 6, 15), "Corpus Christi", "municipal"),
    ("SP", "São Paulo", date(2026, 7, 9), "Revolução Constitucionalista", "estadual"),
    ("RJ", "Rio de Janeiro", date(2027, 1, 20), "Dia de São Sebastião", "municipal"),
    ("RJ", "Rio de Janeiro", date(2026, 4, 23), "São Jorge", "estadual"),
    ("BA", "Salvador", date(2026, 7, 2), "Independência da Bahia", "estadual"),
    ("BA", "Salvador", date(2027, 6, 24), "São João", "municipal"),
    ("BA", "Salvador", date(2028, 12, 8), "Nossa Senhora da Conceição da Praia (padroeira)",
     "municipal"),
    ("MA", "São Luís", date(2026, 9, 8), "Aniversário de São Luís", "municipal"),
    ("MA", "São Luís", date(2026, 7, 28), "Adesão do Maranhão à independência do Brasil",
     "estadual"),
    ("PA", "Belém", date(2027, 1, 12), "Aniversário de Belém", "municipal"),
    ("PA", "Belém", date(2026, 8, 15), "Adesão do Grão-Pará à independência do Brasil",
     "estadual"),
    ("PE", "Recife", date(2026, 7, 16), "Nossa Senhora do Carmo (padroeira)", "municipal"),
    ("PE", "Recife", date(2026, 3, 6), "Revolução Pernambucana de 1817", "estadual"),
    ("RS", "Porto Alegre", date(2026, 2, 2), "Nossa Senhora dos Navegantes", "municipal"),
    ("RS", "Porto Alegre", date(2026, 9, 20), "Dia do Gaúcho", "estadual"),
    ("PR", "Curitiba", date(2026, 9, 8), "Nossa Senhora da Luz dos Pinhais (padroeira)",
     "municipal"),
    ("PR", "Curitiba", date(2026, 6, 4), "Corpus Christi", "municipal"),
    ("SC", "Florianópolis", date(2028, 3, 23), "Aniversário de Florianópolis", "municipal"),
    ("MG", "Belo Horizonte", date(2026, 8, 15), "Assunção de Nossa Senhora", "municipal"),
    ("MG", "Belo Horizonte", date(2027, 5, 27), "Corpus Christi", "municipal"),
    ("AM", "Manaus", date(2026, 10, 24), "Aniversário de Manaus", "municipal"),
    ("RN", "Natal", date(2026, 11, 21), "Nossa Senhora da Apresentação (padroeira)", "municipal"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "city", "day", "name", "source"), CASES)
def test_a_capitals_days_and_where_they_come_from(
    state: str, city: str, day: date, name: str, source: str
) -> None:
    assert sources(state, city, day).get(name) == HolidaySource(source)


def test_a_capitals_municipal_days_are_not_the_rest_of_its_states() -> None:
    assert "Dia de São Sebastião" not in sources("RJ", None, date(2026, 1, 20))
    assert "Corpus Christi" not in sources("MG", None, date(2027, 5, 27))
    assert sources("PE", None, date(2026, 7, 16)) == {}


def test_brasilia_is_known_and_has_only_the_districts_days() -> None:
    days = closed_day_list("DF", "Brasília", YEARS)
    assert not [d for d in days if d.source == HolidaySource.MUNICIPAL]
    assert any(d.name == "Dia do Evangélico" and d.source == HolidaySource.STATE for d in days)


@pytest.mark.parametrize(
    ("state", "city", "zone", "entered", "days", "due"),
    [
        # Recife: Thu 16/07/2026 is Nossa Senhora do Carmo → 1 business day from Wed ends Fri.
        ("PE", "Recife", "America/Recife", datetime(2026, 7, 15, 10), 1, date(2026, 7, 17)),
        # Belo Horizonte: Corpus Christi Thu 27/05/2027.
        ("MG", "Belo Horizonte", "America/Sao_Paulo", datetime(2027, 5, 26, 10), 1,
         date(2027, 5, 28)),
        # Porto Alegre: Navegantes Mon 02/02/2026 → from Fri 30/01, 1 business day is Tue 03/02.
        ("RS", "Porto Alegre", "America/Sao_Paulo", datetime(2026, 1, 30, 10), 1,
         date(2026, 2, 3)),
        # Manaus (its own zone): Aniversário Sun 24/10/2027 changes nothing; Mon 25 counts.
        ("AM", "Manaus", "America/Manaus", datetime(2027, 10, 22, 10), 1, date(2027, 10, 25)),
        # São Luís: from the national 07/09/2028 (Thu), Fri 08/09 is the city's anniversary → Mon.
        ("MA", "São Luís", "America/Fortaleza", datetime(2028, 9, 7, 10), 1, date(2028, 9, 11)),
    ],
)  # fmt: skip
def test_deadlines_skip_the_capitals_municipal_days(
    state: str, city: str, zone: str, entered: datetime, days: int, due: date
) -> None:
    calendar = build_branch_calendar(state, city, zone, YEARS)
    start = entered.replace(tzinfo=ZoneInfo(zone))
    deadline = compute_deadline(start, days, DayCounting.BUSINESS, calendar)
    assert deadline.due_at.date() == due
    assert deadline.due_at.tzinfo is not None
