"""The 27 capitals' municipal holidays (workflow.adapters.city_holidays): each capital is known,
state days stay state days, movable ones follow Easter, and deadlines skip them. The facts
pinned below were checked against public sources (city_holidays_sources.md): a wrong edit of
the CSV fails here."""

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workflow.adapters import city_holidays
from workflow.adapters.city_holidays import (
    CAPITALS,
    SOURCE_KEYS,
    capital_holidays,
    knows_capital,
)
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


def test_every_line_has_a_source_and_was_checked_against_one() -> None:
    lines = [(c, h) for s, c in CAPITALS.items() for h in capital_holidays(s, c)]
    assert len(lines) >= 60
    for city, holiday in lines:
        assert holiday.source.strip(), (city, holiday.name)
        assert "lei" in holiday.source.lower() or "decreto" in holiday.source.lower()
        assert holiday.checked_against, (city, holiday.name)
        assert set(holiday.checked_against) <= SOURCE_KEYS


@pytest.fixture
def data_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A stand-in CSV for the loader; the real table is reloaded afterwards."""
    path = tmp_path / "city_holidays.csv"
    monkeypatch.setattr(city_holidays, "DATA_FILE", path)
    city_holidays._table.cache_clear()
    yield path
    city_holidays._table.cache_clear()


@pytest.mark.parametrize("checked", ["", "feriados-brasil;", "wikipedia", "feriados-dev;memória"])
def test_a_line_not_checked_against_a_known_source_fails_on_load(
    data_file: Path, checked: str
) -> None:
    data_file.write_text(
        "uf,city,rule,name,source,checked_against\n"
        f"SE,Aracaju,03-17,Aniversário de Aracaju,lei municipal,{checked}\n",
        "utf-8",
    )
    with pytest.raises(ValueError, match="checked_against"):
        capital_holidays("SE", "Aracaju")


def test_a_checked_line_loads(data_file: Path) -> None:
    data_file.write_text(
        "# comment\nuf,city,rule,name,source,checked_against\n"
        "SE,Aracaju,03-17,Aniversário de Aracaju,lei municipal,feriados-brasil;workalendar\n",
        "utf-8",
    )
    (holiday,) = capital_holidays("SE", "Aracaju")
    assert holiday.checked_against == ("feriados-brasil", "workalendar")
    assert holiday.on(2027) == date(2027, 3, 17)


# (state, city, day, name, words of the source): each read in a public source (see
# city_holidays_sources.md); the law is pinned where a source names it.
VERIFIED = [
    ("BA", "Salvador", date(2026, 6, 4), "Corpus Christi", "1.997/1967"),
    ("BA", "Salvador", date(2027, 6, 24), "São João", "1.997/1967"),
    ("MG", "Belo Horizonte", date(2028, 8, 15), "Assunção de Nossa Senhora", "1.327/1967"),
    ("RS", "Porto Alegre", date(2027, 5, 27), "Corpus Christi", "4.453/1978"),
    ("RS", "Porto Alegre", date(2028, 2, 2), "Nossa Senhora dos Navegantes", "4.453/1978"),
    ("CE", "Fortaleza", date(2028, 6, 15), "Corpus Christi", "8.796/2003"),
    ("CE", "Fortaleza", date(2026, 4, 13), "Aniversário de Fortaleza", "7.535/1994"),
    ("MS", "Campo Grande", date(2026, 6, 13), "Santo Antônio (padroeiro)", "3.901/2001"),
    ("MA", "São Luís", date(2027, 6, 29), "São Pedro", "3.432/1996"),
    ("PI", "Teresina", date(2026, 12, 8), "Nossa Senhora da Conceição", "2.847/1999"),
    ("PB", "João Pessoa", date(2026, 6, 24), "São João", "8.805"),
    ("TO", "Palmas", date(2027, 3, 19), "São José (padroeiro)", "577/1996"),
    ("RO", "Porto Velho", date(2026, 5, 24), "Nossa Senhora Auxiliadora (padroeira)", "190/1980"),
    ("RJ", "Rio de Janeiro", date(2028, 1, 20), "Dia de São Sebastião", "5.146/2010"),
    ("RN", "Natal", date(2027, 1, 6), "Santos Reis", "10.599/2015"),
    ("GO", "Goiânia", date(2026, 5, 24), "Nossa Senhora Auxiliadora (padroeira)", "701/1956"),
    ("SP", "São Paulo", date(2027, 1, 25), "Aniversário da Cidade de São Paulo", "14.485/2007"),
    ("RR", "Boa Vista", date(2026, 7, 9), "Aniversário de Boa Vista", "lei municipal"),
    ("SE", "Aracaju", date(2028, 6, 24), "São João", "lei municipal"),
    ("PE", "Recife", date(2026, 6, 24), "São João (feriado estadual de PE)", "estadual (PE)"),
    ("AM", "Manaus", date(2027, 12, 8), "Nossa Senhora da Conceição (feriado estadual do AM)",
     "estadual (AM)"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "city", "day", "name", "law"), VERIFIED)
def test_a_verified_day_is_in_the_file_with_its_law(
    state: str, city: str, day: date, name: str, law: str
) -> None:
    found = {h.name: h for h in capital_holidays(state, city) if h.on(day.year) == day}
    assert name in found, (city, day, sorted(found))
    assert law in found[name].source


# Capitals whose law (per the sources) makes Corpus Christi a municipal holiday.
CORPUS_CHRISTI = ["São Paulo", "Belo Horizonte", "Curitiba", "Salvador", "Fortaleza", "Maceió",
                  "Vitória", "Campo Grande", "Cuiabá", "Teresina", "Porto Velho", "Porto Alegre",
                  "Florianópolis", "Aracaju"]  # fmt: skip


def test_corpus_christi_is_easter_plus_60_where_the_law_makes_it_a_holiday() -> None:
    by_city = {
        city: [h for h in capital_holidays(state, city) if h.name == "Corpus Christi"]
        for state, city in CAPITALS.items()
    }
    for city in CORPUS_CHRISTI:
        assert [h.rule for h in by_city[city]] == ["easter+60"], city
    for city in ("Rio de Janeiro", "Recife", "Manaus"):
        assert not by_city[city], city


def test_no_line_repeats_a_day_the_package_already_gives_the_state() -> None:
    """João Pessoa's 05/08 is Paraíba's (Fundação do Estado): the package closes every PB
    branch on it, so it is not a municipal line. Compared with the state's days as corrected
    (state_holiday_overrides: Fortaleza's 19/03 and 15/08 are not CE state days, so they are
    municipal lines)."""
    for state, city in CAPITALS.items():
        package = {entry.day for entry in closed_day_list(state, None, YEARS)}
        for holiday in capital_holidays(state, city):
            for year in YEARS:
                assert holiday.on(year) not in package, (city, holiday.name, year)
    assert sources("PB", "João Pessoa", date(2026, 8, 5)) == {
        "Fundação do Estado": HolidaySource.STATE
    }


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
        # Salvador: Corpus Christi Thu 04/06/2026 (Lei 1.997/1967) → from Wed, 1 day ends Fri.
        ("BA", "Salvador", "America/Bahia", datetime(2026, 6, 3, 10), 1, date(2026, 6, 5)),
        # João Pessoa: Wed 24/06/2026 São João, Thu 25 counts (Tue 23 + 1 business day).
        ("PB", "João Pessoa", "America/Fortaleza", datetime(2026, 6, 23, 10), 1,
         date(2026, 6, 25)),
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
