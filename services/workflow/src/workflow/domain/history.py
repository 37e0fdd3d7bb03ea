"""Delivered orders as history, and the arithmetic the process review runs over them.

Rules:

- A historical order is a delivered order: when it opened and was delivered (instants), the
  date promised to the customer, the branch (its calendar), and the wall-clock seconds it spent
  in each stage (summed over re-entries), keyed by stage key. Times outside every stage (none,
  normally) are kept as ``outside_seconds``.
- Percentiles are "nearest rank": the p-th percentile of n sorted values is the value at rank
  ceil(p·n) (1-based). It is always one of the values, so a hand-made table can check it.
- ``DeadlineMemo`` gives exactly ``compute_deadline``'s due time, remembered by what that time
  depends on: the entry's local day, whether the entry is before opening, within opening
  hours (up to closing time) or after closing, the planned days and the counting. A replay of
  100,000 orders asks the same few thousand questions again and again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.deadlines import compute_deadline
from workflow.domain.flow import Stage


@dataclass(frozen=True, slots=True)
class HistoricalOrder:
    order_id: str
    number: str
    branch: str
    """The key of the branch's calendar (its id, as text)."""
    flow_version: int
    opened_at: datetime
    delivered_at: datetime
    promised_date: date | None
    stage_seconds: Mapping[str, float]
    """Wall-clock seconds spent in each stage (by key), summed over re-entries."""
    late_stage: str | None = None
    """The stage whose stay ended furthest past its due time (None: every stay on time)."""
    late_stages: frozenset[str] = frozenset()
    """Every stage with a stay that ended past its due time."""
    paused_seconds: float = 0.0
    lab_code: str | None = None
    outside_seconds: float = field(default=0.0)
    """Seconds between opening and delivery spent in no stage."""

    @property
    def lead_seconds(self) -> float:
        return (self.delivered_at - self.opened_at).total_seconds()


Plan = tuple[tuple[int, str], ...]
"""Planned days and counting (its value, a plain string: fast to hash) of each stage."""


def plan_of(stages: Sequence[Stage]) -> Plan:
    return tuple((stage.planned_days, stage.counting.value) for stage in stages)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in (0, 1]) of ``values``; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


Entry = tuple[datetime, int, int]
"""An instant as the memo keys it: (local time, local day's ordinal, bucket)."""


class DeadlineMemo:
    """``compute_deadline(...).due_at`` for one calendar, remembered (see the module rules)."""

    __slots__ = ("_calendar", "_closing", "_due", "_opens", "_promise", "_zone")

    def __init__(self, calendar: BranchCalendar) -> None:
        self._calendar = calendar
        self._zone = calendar.day_index.zone
        self._opens = calendar.opens_at
        self._closing = calendar.day_index.closing
        self._due: dict[tuple[int, int, int, str], datetime] = {}
        self._promise: dict[tuple[int, int, Plan], date] = {}

    def _key(self, start: datetime) -> Entry:
        local = start.astimezone(self._zone)
        moment = local.time()
        if moment < self._opens:
            bucket = 0
        elif moment <= self._closing[local.weekday()]:
            bucket = 1
        else:
            bucket = 2
        return local, local.toordinal(), bucket

    def due_at(self, start: datetime, planned_days: int, counting: str) -> datetime:
        """``compute_deadline(start, planned_days, DayCounting(counting), calendar).due_at``."""
        local, day, bucket = self._key(start)
        key = (day, bucket, planned_days, counting)
        found = self._due.get(key)
        if found is None:
            mode = DayCounting(counting)
            found = compute_deadline(local, planned_days, mode, self._calendar).due_at
            self._due[key] = found
        return found

    def entry(self, start: datetime) -> Entry:
        """What a deadline from ``start`` depends on: (local time, local day, bucket)."""
        return self._key(start)

    def promise(self, start: datetime | Entry, plan: Plan) -> date:
        """The day the last stage of ``plan``, chained from ``start``, is due (the quote's).

        ``start`` may be given as its ``entry()``, so that one order's two replays look the
        opening time up once."""
        local, day, bucket = start if isinstance(start, tuple) else self._key(start)
        key = (day, bucket, plan)
        found = self._promise.get(key)
        if found is None:
            at = local
            for planned_days, counting in plan:
                at = self.due_at(at, planned_days, counting)
            found = at.date()
            self._promise[key] = found
        return found

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self._zone).date()
