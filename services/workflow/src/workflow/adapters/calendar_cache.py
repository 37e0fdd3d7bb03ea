"""Branch calendars for the shell: the branch row plus the holidays package, cached per branch.

Building a calendar reads the ``holidays`` package, which costs milliseconds; deadlines are
computed many times per second, so a calendar is built once per branch and kept until the
branch row says it changed. The key is the row's ``updated_at`` (intake's branch: state, city,
time zone) and ``calendar_revision`` (bumped in the same transaction as every change of the
branch's calendar or of the chain's optional days), so every replica sees a change on its next
read of the row, with no message between replicas. ``invalidate`` drops a branch at once.
A city whose municipal holidays this service does not know (most of them) gets the national and
state holidays; its own days are the branch's ``municipal_holidays``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from workflow.adapters.holidays import branch_calendar
from workflow.domain.calendar import BranchCalendar

_YEARS_BACK, _YEARS_AHEAD = 1, 3


class CalendarCache:
    def __init__(self) -> None:
        # branch id -> (what the calendar was built from, the calendar); one entry per branch.
        self._calendars: dict[UUID, tuple[tuple[Any, ...], BranchCalendar]] = {}

    def for_branch(self, branch: dict[str, Any], now: datetime) -> BranchCalendar:
        """The calendar of a ``branches`` row, covering last year to three years ahead."""
        stamp = (branch["updated_at"], branch.get("calendar_revision", 0), now.year)
        cached = self._calendars.get(branch["branch_id"])
        if cached is not None and cached[0] == stamp:
            return cached[1]
        years = range(now.year - _YEARS_BACK, now.year + _YEARS_AHEAD + 1)
        calendar = branch_calendar(branch, years)
        self._calendars[branch["branch_id"]] = (stamp, calendar)
        return calendar

    def invalidate(self, branch_id: UUID) -> None:
        """Forget a branch's calendar (its settings just changed in this process)."""
        self._calendars.pop(branch_id, None)
