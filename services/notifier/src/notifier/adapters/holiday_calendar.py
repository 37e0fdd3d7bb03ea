"""The edge that reads the ``holidays`` package: national and state (UF) holidays of Brazil,
with the package's state days corrected as workflow corrects them (:mod:`shared.state_holidays`:
e.g. 15/08 is not a Ceará state day), so the sending window closes on the days the shop does.

Cached per (UF, year). A UF the package does not know gives the national holidays only (and a
warning), so a typo never stops every SMS of a branch. ``warm`` builds every UF's calendar at
start: the package's first build takes ≈ 0.2 s, which the first SMS after a start would wait
for; each UF after it takes about a millisecond.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays

from shared import state_holidays
from shared.logging import get_logger

log = get_logger(__name__)


def closed_days(state: str, years: Iterable[int]) -> frozenset[date]:
    days: set[date] = set()
    for year in years:
        days |= _closed_in_year(state.upper(), year)
    return frozenset(days)


def warm(years: Iterable[int]) -> None:
    """Build the closed days of every UF the package knows, for ``years``."""
    for state in holidays.country_holidays("BR").subdivisions:
        if len(state) == 2:  # the UFs; not the package's "São Paulo Capital"
            closed_days(state, years)


@lru_cache(maxsize=256)
def _closed_in_year(state: str, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays("BR", subdiv=state, years=year, language="pt_BR")
    except NotImplementedError:
        log.warning("unknown_state_national_holidays_only", state=state)
        calendar = holidays.country_holidays("BR", years=year, language="pt_BR")
    days = set(calendar.keys())
    for day, name in state_holidays.removed(state, [year]):
        if calendar.get(day, "").split("; ") == [name]:  # a national day that date stays
            days.discard(day)
    days |= {day for day, _ in state_holidays.added(state, [year])}
    return frozenset(days)
