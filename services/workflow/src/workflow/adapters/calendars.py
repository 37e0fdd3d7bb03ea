"""Branch calendars for the shell: the branch row plus the holidays package, cached per branch.

Building a calendar reads the ``holidays`` package, which costs milliseconds; deadlines are
computed many times per second, so a calendar is built once per branch and branch change.
A city whose municipal holidays the package does not know (most of them) gets the national and
state holidays; its own days are the branch's closures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from workflow.adapters.holiday_calendar import build_branch_calendar, knows_city
from workflow.domain.calendar import BranchCalendar

_YEARS_BACK, _YEARS_AHEAD = 1, 3


class CalendarCache:
    def __init__(self) -> None:
        self._calendars: dict[tuple[UUID, datetime], BranchCalendar] = {}

    def for_branch(self, branch: dict[str, Any], now: datetime) -> BranchCalendar:
        key = (branch["branch_id"], branch["updated_at"])
        calendar = self._calendars.get(key)
        if calendar is None:
            years = range(now.year - _YEARS_BACK, now.year + _YEARS_AHEAD + 1)
            calendar = build_branch_calendar(
                state=branch["state"],
                city=branch["city"] if knows_city(branch["state"], branch["city"]) else None,
                timezone=branch["timezone"],
                years=years,
            )
            self._calendars[key] = calendar
        return calendar
