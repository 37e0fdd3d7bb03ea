"""Corrections to the ``holidays`` package's Brazilian STATE holidays, applied on top of it by
every service that reads the package (workflow's branch calendars, the notifier's sending
window). Plain data, no I/O.

The package (0.109) is what the calendars use for a state's (UF) days. Checked on 2026-12-02
(issue 14) against public sources read through the stored-code index of this workplace (no live
internet; no state gazette was opened), it is wrong in a few states. A day is corrected here
only where at least two independent sources agree and none that quotes the law contradicts
them; every line names its sources. The sources (details in
``services/workflow/src/workflow/adapters/city_holidays_sources.md``, "State days: overrides"):

- ``feriados-brasil``: joaopbini/feriados-brasil, ``dados/feriados/estadual/csv/2026.csv``
  (commit 03880d93…), a community dataset of state holidays.
- ``brazilian-utils``: brazilian-utils/javascript, ``src/get-holidays/constants.ts`` (2.4.0,
  2026), a state-holiday table with one official law link per entry (legis.ac.gov.br,
  al.ap.leg.br, al.to.leg.br, sapl.al.ro.leg.br, al.rn.leg.br, STF decisions, …).
- ``feriados-dev``: feriados-dev/feriados-dev-oss, the 2026–2027 seeds and migrations 31/35.
- ``workalendar``: workalendar/workalendar, ``workalendar/america/brazil.py`` (state classes).
- ``ce-calendar``: a public project's calendar for Ceará (ADR "Dias úteis pelo calendário
  oficial do Ceará"), which reads Portaria TJCE nº 2.924/2025 and names 25/03 as the only state
  day ("São José (19/3) não é feriado estadual").

What is NOT corrected, and why, is in that file (GO 24/10 is a state day by
Lei GO nº 20.756/2020, art. 269; PE 24/06 and AM 08/12 are disputed, and their capitals close
anyway through ``city_holidays.csv``; AP 30/11 and TO 15/08 rest on one source).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Change(StrEnum):
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class StateOverride:
    """One state day added to, or removed from, what the package gives, for some years."""

    uf: str
    month: int
    day: int
    change: Change
    name: str
    """For an addition, the name staff read; for a removal, what the package calls the day."""
    sources: str
    since: int | None = None
    """First year the correction applies (inclusive); None: every year."""
    until: int | None = None
    """First year it no longer applies (exclusive); None: open."""

    def applies(self, year: int) -> bool:
        return (self.since is None or year >= self.since) and (
            self.until is None or year < self.until
        )

    def on(self, year: int) -> date:
        return date(year, self.month, self.day)


OVERRIDES: tuple[StateOverride, ...] = (
    StateOverride(
        "AC", 8, 6, Change.ADD, "Início da Revolução Acreana",
        "feriados-brasil (estadual 2026: 06/08 Revolução Acreana, AC); feriados-dev (seed: "
        "'Início da Revolução Acreana', state, AC); workalendar (BrazilAcre: 8/6); Lei AC nº "
        "2.126/2009 names it among the state feriados it does not move to Friday",
    ),
    StateOverride(
        "AP", 5, 15, Change.ADD, "Dia de Cabralzinho",
        "Lei AP nº 2.213, de 11/07/2017 (brazilian-utils, al.ap.leg.br iddocumento=77794: "
        "\"Fica instituído como Feriado Estadual, o dia 15 de maio\"); feriados-brasil "
        "(estadual 2026: 15/05 Dia de Cabralzinho, AP)",
        since=2018,
    ),
    StateOverride(
        "AP", 7, 25, Change.REMOVE, "São Tiago",
        "Lei AP nº 2.430, de 23/07/2019, art. 3º revoked Lei AP nº 1.696/2012 and keeps 25/07 "
        "as a data comemorativa only (brazilian-utils, al.ap.leg.br iddocumento=96475); "
        "feriados-brasil (estadual 2026: AP has 19/03, 15/05, 13/09, not 25/07)",
        since=2019,
    ),
    StateOverride(
        "CE", 3, 19, Change.REMOVE, "São José",
        "not a state day: feriados-brasil (estadual 2026: CE has only 25/03; 19/03 is in "
        "Fortaleza's municipal list, Lei municipal nº 8.796/2003); brazilian-utils (CE: only "
        "25/03, Constituição do CE art. 18); ce-calendar (Portaria TJCE nº 2.924/2025: \"São "
        "José (19/3) não é feriado estadual\"). Fortaleza keeps it (city_holidays.csv)",
    ),
    StateOverride(
        "CE", 8, 15, Change.REMOVE, "Nossa Senhora da Assunção",
        "not a state day: feriados-brasil (estadual 2026: CE has only 25/03; 15/08 is in "
        "Fortaleza's municipal list, Lei municipal nº 8.796/2003); feriados-dev (Fortaleza "
        "municipal); brazilian-utils (CE: only 25/03); ce-calendar (only 25/03 statewide). "
        "Fortaleza keeps it (city_holidays.csv)",
    ),
    StateOverride(
        "RN", 8, 7, Change.REMOVE, "Dia do Rio Grande do Norte",
        "Lei RN nº 7.831/2000 makes 07/08 a data comemorativa, not a feriado (brazilian-utils, "
        "citing the ALRN); feriados-brasil (estadual 2026: RN has only 03/10); feriados-dev "
        "(not listed)",
    ),
    StateOverride(
        "RO", 6, 18, Change.REMOVE, "Dia do Evangélico",
        "Lei RO nº 1.026/2001 declared unconstitutional by the STF (ADI 3940, 20/03/2020, ex "
        "tunc; brazilian-utils); feriados-dev migration 35 (\"o calendário oficial de RO lista a "
        "data apenas como feriado municipal\" in three towns); feriados-brasil (estadual 2026: "
        "RO has only 04/01)",
    ),
    StateOverride(
        "TO", 3, 18, Change.REMOVE, "Dia da Autonomia",
        "Lei TO nº 2.013, de 18/02/2009 replaced the feriado clause of Lei TO nº 960/1998 with a "
        "commemorative one (brazilian-utils, al.to.leg.br arquivo 15724); feriados-dev "
        "migration 31 (\"não é feriado estadual do Tocantins\"); feriados-brasil (estadual 2026: "
        "TO has 08/09 and 05/10 only)",
        since=2009,
    ),
)  # fmt: skip


def removed(
    uf: str, years: Iterable[int], overrides: Iterable[StateOverride] = OVERRIDES
) -> set[tuple[date, str]]:
    """The (day, package name) pairs of ``uf`` the package calls a state holiday wrongly."""
    return {
        (o.on(year), o.name)
        for o in overrides
        if o.uf == uf and o.change is Change.REMOVE
        for year in years
        if o.applies(year)
    }


def added(
    uf: str, years: Iterable[int], overrides: Iterable[StateOverride] = OVERRIDES
) -> Iterator[tuple[date, StateOverride]]:
    """The state holidays of ``uf`` the package lacks, with the line that adds each."""
    for o in overrides:
        if o.uf == uf and o.change is Change.ADD:
            for year in years:
                if o.applies(year):
                    yield o.on(year), o
