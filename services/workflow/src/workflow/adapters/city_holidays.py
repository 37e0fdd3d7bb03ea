"""Municipal holidays of the 27 state capitals, read from ``city_holidays.csv``.

- A line gives a capital's municipal holiday as a rule: ``MM-DD`` every year, or
  ``easter+N`` (Corpus Christi is ``easter+60``), with its name, its source (the municipal
  law where a source names it, else the prefeitura's site) and ``checked_against``: the
  public sources it was checked against (keys in :data:`SOURCE_KEYS`, described in the
  file's header and, line by line, in ``city_holidays_sources.md``). A line without one, or
  with an unknown key, fails on load.
- Cities are matched by state (UF) and name without accents, case or extra spaces
  ("sao luis" is São Luís).
- Every capital is *known*, even one with no line (Brasília: the Distrito Federal has no
  municipality; its days are state days). Any other city is unknown here: the chain imports its
  list (``city_import``) or gives the branch's ``municipal_holidays``.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from workflow.domain.movable_days import after_easter

DATA_FILE = Path(__file__).with_name("city_holidays.csv")

SOURCE_KEYS = frozenset({"feriados-brasil", "feriados-dev", "workalendar", "holidays"})
"""The public sources a line can cite in ``checked_against`` (see the CSV header)."""

CAPITALS: Mapping[str, str] = {
    "AC": "Rio Branco",
    "AL": "Maceió",
    "AM": "Manaus",
    "AP": "Macapá",
    "BA": "Salvador",
    "CE": "Fortaleza",
    "DF": "Brasília",
    "ES": "Vitória",
    "GO": "Goiânia",
    "MA": "São Luís",
    "MG": "Belo Horizonte",
    "MS": "Campo Grande",
    "MT": "Cuiabá",
    "PA": "Belém",
    "PB": "João Pessoa",
    "PE": "Recife",
    "PI": "Teresina",
    "PR": "Curitiba",
    "RJ": "Rio de Janeiro",
    "RN": "Natal",
    "RO": "Porto Velho",
    "RR": "Boa Vista",
    "RS": "Porto Alegre",
    "SC": "Florianópolis",
    "SE": "Aracaju",
    "SP": "São Paulo",
    "TO": "Palmas",
}


@dataclass(frozen=True, slots=True)
class CityHoliday:
    rule: str
    """``MM-DD`` or ``easter+N``."""
    name: str
    source: str
    checked_against: tuple[str, ...] = ()
    """Keys of :data:`SOURCE_KEYS` this line was checked against."""

    def on(self, year: int) -> date:
        if self.rule.startswith("easter"):
            return after_easter(year, int(self.rule.removeprefix("easter")))
        month, day = self.rule.split("-")
        return date(year, int(month), int(day))


def plain(name: str) -> str:
    """ "São  Luís" -> "sao luis": city names compare without accents, case or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def city_key(state: str, city: str) -> tuple[str, str]:
    return state.strip().upper(), plain(city)


@cache
def _table() -> Mapping[tuple[str, str], tuple[CityHoliday, ...]]:
    lines = (line for line in DATA_FILE.read_text("utf-8").splitlines() if not line.startswith("#"))
    table: dict[tuple[str, str], list[CityHoliday]] = {
        city_key(uf, city): [] for uf, city in CAPITALS.items()
    }
    for row in csv.DictReader(lines):
        key = city_key(row["uf"], row["city"])
        if key not in table:
            raise ValueError(f"{DATA_FILE.name}: {row['city']}/{row['uf']} is not a capital")
        checked = tuple(key.strip() for key in (row.get("checked_against") or "").split(";"))
        if not all(checked) or not set(checked) <= SOURCE_KEYS:
            raise ValueError(
                f"{DATA_FILE.name}: {row['city']}/{row['uf']} {row['rule']}: checked_against "
                f"{row.get('checked_against')!r} must name sources among {sorted(SOURCE_KEYS)}"
            )
        holiday = CityHoliday(row["rule"], row["name"], row["source"], checked)
        holiday.on(2026)  # a malformed rule fails on load, not on a deadline
        table[key].append(holiday)
    return {key: tuple(days) for key, days in table.items()}


def knows_capital(state: str, city: str) -> bool:
    return city_key(state, city) in _table()


def capital_holidays(state: str, city: str) -> tuple[CityHoliday, ...]:
    """The capital's municipal holidays (rules); empty for a city that is not a capital."""
    return _table().get(city_key(state, city), ())


def capital_days(state: str, city: str, years: Iterable[int]) -> list[tuple[date, CityHoliday]]:
    """Each of the capital's municipal holidays on each of ``years``, sorted by day."""
    days = [(h.on(year), h) for h in capital_holidays(state, city) for year in years]
    return sorted(days, key=lambda pair: pair[0])
