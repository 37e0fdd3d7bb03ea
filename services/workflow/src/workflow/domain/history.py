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
- A replay reads the history as ``HistoryBlock`` columns: the orders of one branch that went
  through the same stages, instants as whole microseconds since the Unix epoch (UTC), days as
  ordinals (``date.toordinal()``). ``blocks_of`` turns ``HistoricalOrder`` values into blocks.
- ``DeadlineMemo`` also remembers, per UTC hour, the local day (and the deadline "entry") that
  every instant of the hour shares: an hour with the same UTC offset at its start and the next
  hour's has that offset all through (time zones change their offset at most once an hour),
  and then the same local day and entry all through when its first and last microsecond have
  them. An hour where any of them changes is answered instant by instant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
HOUR_US = 3_600_000_000
"""Microseconds in an hour."""
DAY_US = 24 * HOUR_US
UNIX_ORDINAL = EPOCH.toordinal()
UNIX_WEEKDAY = EPOCH.weekday()


def instant(microseconds: int) -> datetime:
    """The instant ``microseconds`` after the Unix epoch (UTC)."""
    return EPOCH + timedelta(microseconds=microseconds)


def microseconds_of(at: datetime) -> int:
    """``at`` as whole microseconds since the Unix epoch (exact: ``instant`` gives it back)."""
    return (at - EPOCH) // MICROSECOND


@dataclass(frozen=True, slots=True)
class HistoryBlock:
    """Delivered orders of one branch that went through the same stages, as columns: the i-th
    entry of every column is the i-th order's."""

    branch: str
    """The key of the branch's calendar (its id, as text)."""
    order_ids: Sequence[str]
    numbers: Sequence[str]
    opened_us: Sequence[int]
    """Opening instants, microseconds since the Unix epoch."""
    delivered_us: Sequence[int]
    promised_days: Sequence[int | None]
    """The dates promised to the customers, as ordinals (None: no promise)."""
    stage_seconds: Mapping[str, Sequence[float]]
    """Per stage key the orders went through, the wall-clock seconds each spent there."""
    outside_seconds: Sequence[float]
    """Seconds between opening and delivery spent in no stage."""

    def __len__(self) -> int:
        return len(self.opened_us)


def blocks_of(orders: Sequence[HistoricalOrder]) -> list[HistoryBlock]:
    """``orders`` as blocks, by branch and the stages they went through (their keys' order)."""
    groups: dict[tuple[str, tuple[str, ...]], list[HistoricalOrder]] = {}
    for order in orders:
        groups.setdefault((order.branch, tuple(order.stage_seconds)), []).append(order)
    return [
        HistoryBlock(
            branch=branch,
            order_ids=[o.order_id for o in group],
            numbers=[o.number for o in group],
            opened_us=[microseconds_of(o.opened_at) for o in group],
            delivered_us=[microseconds_of(o.delivered_at) for o in group],
            promised_days=[
                None if o.promised_date is None else o.promised_date.toordinal() for o in group
            ],
            stage_seconds={key: [o.stage_seconds[key] for o in group] for key in keys},
            outside_seconds=[o.outside_seconds for o in group],
        )
        for (branch, keys), group in groups.items()
    ]


Plan = tuple[tuple[int, str], ...]
"""Planned days and counting (its value, a plain string: fast to hash) of each stage."""


def plan_of(stages: Sequence[Stage]) -> Plan:
    return tuple((stage.planned_days, stage.counting.value) for stage in stages)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in (0, 1]) of ``values``; None for no values."""
    return ranked(sorted(values), share)


def ranked(ordered: Sequence[float], share: float) -> float | None:
    """``percentile`` of values already sorted."""
    if not ordered:
        return None
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


Entry = tuple[datetime, int, int]
"""An instant as the memo keys it: (local time, local day's ordinal, bucket)."""

EntryKey = tuple[int, int]
"""What a deadline from an instant depends on: (local day's ordinal, bucket)."""


def _time_us(moment: time) -> int:
    """A time of day in microseconds since midnight."""
    seconds = (moment.hour * 60 + moment.minute) * 60 + moment.second
    return seconds * 1_000_000 + moment.microsecond


class DeadlineMemo:
    """``compute_deadline(...).due_at`` for one calendar, remembered (see the module rules)."""

    __slots__ = (
        "_calendar", "_closing", "_closing_us", "_due", "_hours", "_offsets", "_opens",
        "_opens_us", "_promise", "_zone", "hour_days", "hour_entries",
    )  # fmt: skip

    def __init__(self, calendar: BranchCalendar) -> None:
        self._calendar = calendar
        self._zone = calendar.day_index.zone
        self._opens = calendar.opens_at
        self._closing = calendar.day_index.closing
        self._opens_us = _time_us(self._opens)
        self._closing_us = tuple(_time_us(closing) for closing in self._closing)
        self._due: dict[tuple[int, int, int, str], datetime] = {}
        self._promise: dict[tuple[int, int, Plan], date] = {}
        self._hours: set[int] = set()
        self._offsets: dict[int, int] = {}
        self.hour_days: dict[int, int] = {}
        """UTC hour (microseconds since the epoch // ``HOUR_US``) → the local day's ordinal
        of every instant in it; an hour not here is unknown yet or holds a change of day."""
        self.hour_entries: dict[int, EntryKey] = {}
        """UTC hour → the ``EntryKey`` of every instant in it (as ``hour_days``)."""

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

    def _offset_us(self, hour: int) -> int:
        """The zone's UTC offset (µs) at the start of UTC ``hour``."""
        found = self._offsets.get(hour)
        if found is None:
            offset = instant(hour * HOUR_US).astimezone(self._zone).utcoffset()
            assert offset is not None
            found = self._offsets[hour] = offset // MICROSECOND
        return found

    def _bucket(self, moment: int, weekday: int) -> int:
        """``_key``'s bucket for a local time of day given in microseconds."""
        if moment < self._opens_us:
            return 0
        return 1 if moment <= self._closing_us[weekday] else 2

    def learn_hour(self, hour: int) -> None:
        """Fill ``hour_days`` and ``hour_entries`` for UTC ``hour`` if it has one local day
        (and one entry) throughout: the same offset at its start and the next hour's (so the
        same offset all through it, as an offset changes at most once an hour), and then the
        same day (and bucket) at its first and last microsecond."""
        if hour in self._hours:
            return
        self._hours.add(hour)
        offset = self._offset_us(hour)
        if offset != self._offset_us(hour + 1):
            return
        local = hour * HOUR_US + offset
        day, moment = divmod(local, DAY_US)
        if moment + HOUR_US - 1 >= DAY_US:
            return
        ordinal = day + UNIX_ORDINAL
        self.hour_days[hour] = ordinal
        weekday = (day + UNIX_WEEKDAY) % 7
        bucket = self._bucket(moment, weekday)
        if bucket == self._bucket(moment + HOUR_US - 1, weekday):
            self.hour_entries[hour] = (ordinal, bucket)

    def day_of(self, microseconds: int) -> int:
        """The local day's ordinal of the instant ``microseconds`` after the epoch."""
        hour = microseconds // HOUR_US
        day = self.hour_days.get(hour)
        if day is None and hour not in self._hours:
            self.learn_hour(hour)
            day = self.hour_days.get(hour)
        if day is None:
            return self.local_day(instant(microseconds)).toordinal()
        return day

    def day_after(self, opened_us: int, seconds: float) -> int:
        """The local day's ordinal of ``seconds`` after the instant ``opened_us``, exactly as
        ``local_day(opened + timedelta(seconds=seconds))``."""
        at = instant(opened_us) + timedelta(seconds=seconds)
        self.learn_hour(microseconds_of(at) // HOUR_US)
        return self.local_day(at).toordinal()

    def entry_key(self, microseconds: int) -> EntryKey:
        """``entry()``'s (day, bucket) of the instant ``microseconds`` after the epoch."""
        hour = microseconds // HOUR_US
        key = self.hour_entries.get(hour)
        if key is None and hour not in self._hours:
            self.learn_hour(hour)
            key = self.hour_entries.get(hour)
        if key is None:
            _, day, bucket = self._key(instant(microseconds))
            return day, bucket
        return key
