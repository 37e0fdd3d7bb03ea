"""What-if: replay a service type's delivered orders under a draft flow (``docs/what-if.md``).

Rules, for each order, walking the flow's stages in order from the order's real opening time:

1. A stage the order really went through (its key is in the order's ``stage_seconds``) takes the
   wall-clock time the order really spent there.
2. A stage the order never went through takes the time the owner typed for it
   (``typed_hours``), or else its planned time: from the moment the replay enters it to the
   stage's deadline (planned days, counting, branch calendar), as an order's stage deadline.
3. A stage the order went through that the flow does not have is skipped: its time is gone.
   The time the order spent in no stage (``outside_seconds``) is added at the end.
4. The promised date is the one the flow would have proposed at the real opening time in the
   branch's calendar (every stage's planned days chained, as the quote does). The order is on
   time when the replayed delivery's local day is on or before it.

Replaying an order under the flow it ran gives back its real delivery instant. "Current" and
"draft" are both replayed by these rules, so a draft equal to the current flow changes nothing;
the real on-time rate against the dates really promised is given beside them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import chain, compress, count, repeat
from operator import add, and_, floordiv, is_not, le, mul, ne, sub, truediv
from typing import cast

from workflow.domain.flow import Stage
from workflow.domain.history import (
    HOUR_US,
    DeadlineMemo,
    EntryKey,
    HistoricalOrder,
    HistoryBlock,
    Plan,
    blocks_of,
    instant,
    plan_of,
    ranked,
    rate,
)

SAMPLE_SIZE = 10
_NEAR_US = 2.0
"""Twice the most a replayed delivery computed in floating point is off the exact instant."""
_SAME_S = 1e-7
"""A replay this close (seconds) to the real lead time ends on the real delivery instant."""


@dataclass(frozen=True, slots=True)
class DraftStage:
    stage: Stage
    typed_hours: float | None = None
    """For a stage orders never went through: the owner's estimate (hours); None: planned."""


class TimeSource(StrEnum):
    REAL = "real"
    PLANNED = "planned"
    TYPED = "typed"


@dataclass(frozen=True, slots=True)
class Replayed:
    promised_on: date
    delivered_at: datetime
    delivered_on: date
    stage_seconds: tuple[float, ...]
    """Seconds in each stage of the flow, in flow order."""
    real: tuple[bool, ...]
    """Whether each stage's time is the order's real one (rule 1)."""

    @property
    def on_time(self) -> bool:
        return self.delivered_on <= self.promised_on


class _Replayer:
    """One flow, replaying the history block by block, a column at a time.

    The work over 100,000 orders is the what-if's cost, so it keeps to columns: a stage every
    order of a block went through takes the block's column as it is (rule 1), and each order's
    running total is the previous totals plus that column (``map(add, ...)``: the same float
    additions, in the same order, as adding stage by stage). Only a stage the block's orders
    never went through (rule 2) is worked out order by order.
    """

    __slots__ = ("columns", "keys", "missing", "on_time", "plan", "planned", "totals", "typed")

    def __init__(self, stages: Sequence[DraftStage]) -> None:
        self.keys = tuple(d.stage.key for d in stages)
        self.typed = tuple(
            None if d.typed_hours is None else d.typed_hours * 3600.0 for d in stages
        )
        self.planned = plan_of([d.stage for d in stages])
        self.plan = self.planned
        self.columns: list[list[Sequence[float]]] = [[] for _ in stages]
        """Per stage, each block's seconds there."""
        self.missing = [0] * len(stages)
        """Per stage, the orders that never went through it (their time there is not real)."""
        self.totals: list[list[float]] = []
        """Per block, each order's seconds from opening to replayed delivery."""
        self.on_time = 0

    @property
    def orders(self) -> int:
        return sum(len(totals) for totals in self.totals)

    @property
    def real(self) -> list[int]:
        """Per stage, the orders whose time there is their real one (rule 1)."""
        count = self.orders
        return [count - missing for missing in self.missing]

    def add(
        self,
        block: HistoryBlock,
        memo: DeadlineMemo,
        prefixes: dict[tuple[str, ...], list[float]] | None = None,
    ) -> list[float]:
        """Replay ``block``'s orders (rules 1–3): their seconds from opening to delivery.

        ``prefixes`` shares running totals between flows that start with the same stages the
        block's orders went through (the same sums: they are computed once)."""
        size = len(block)
        totals: list[float] = [0.0] * size
        path: tuple[str, ...] = ()
        for index, key in enumerate(self.keys):
            column = block.stage_seconds.get(key)
            if column is None:
                prefixes = None
                column = self._not_gone_through(index, block, totals, memo)
            self.columns[index].append(column)
            if prefixes is None:
                totals = list(map(add, totals, column))
                continue
            path += (key,)
            shared = prefixes.get(path)
            if shared is None:
                shared = prefixes[path] = list(map(add, totals, column))
            totals = shared
        totals = list(map(add, totals, block.outside_seconds))
        self.totals.append(totals)
        return totals

    def _not_gone_through(
        self, index: int, block: HistoryBlock, totals: list[float], memo: DeadlineMemo
    ) -> Sequence[float]:
        """Rule 2: the typed time, or the planned time from where each replay has got to."""
        self.missing[index] += len(block)
        typed = self.typed[index]
        if typed is not None:
            return [typed] * len(block)
        days, counting = self.planned[index]
        column = []
        for opened, total in zip(block.opened_us, totals, strict=True):
            at = instant(opened) + timedelta(seconds=total)
            column.append(max((memo.due_at(at, days, counting) - at).total_seconds(), 0.0))
        return column


def replay(order: HistoricalOrder, stages: Sequence[DraftStage], memo: DeadlineMemo) -> Replayed:
    """One order under ``stages`` (rules 1–4)."""
    replayer = _Replayer(stages)
    (block,) = blocks_of([order])
    (total,) = replayer.add(block, memo)
    delivered_at = order.opened_at + timedelta(seconds=total)
    return Replayed(
        memo.promise(order.opened_at, replayer.plan),
        delivered_at,
        memo.local_day(delivered_at),
        tuple(columns[0][0] for columns in replayer.columns),
        tuple(not missing for missing in replayer.missing),
    )


@dataclass(frozen=True, slots=True)
class StageFigure:
    key: str
    name: str
    planned_days: int
    counting: str
    source: TimeSource
    """Where most orders' time in the stage came from."""
    real_orders: int
    """Orders whose time here is their real time."""
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True, slots=True)
class Outcome:
    orders: int
    on_time: int
    on_time_rate: float | None
    median_lead_hours: float | None
    p90_lead_hours: float | None
    stages: tuple[StageFigure, ...]


@dataclass(frozen=True, slots=True)
class Flip:
    order_id: str
    number: str
    current_promised_on: date
    current_delivered_on: date
    draft_promised_on: date
    draft_delivered_on: date


@dataclass(frozen=True, slots=True)
class Comparison:
    current: Outcome
    draft: Outcome
    recorded_on_time_rate: float | None
    """On time against the dates really promised (orders with one), as the analytics say."""
    late_to_on_time: int
    on_time_to_late: int
    late_to_on_time_samples: tuple[Flip, ...]
    on_time_to_late_samples: tuple[Flip, ...]


def compare(
    orders: Sequence[HistoricalOrder],
    current: Sequence[Stage],
    draft: Sequence[DraftStage],
    memos: Mapping[str, DeadlineMemo],
    sample_size: int = SAMPLE_SIZE,
) -> Comparison:
    """Every order replayed under the current flow and under the draft, side by side.

    ``memos`` holds one ``DeadlineMemo`` per branch key of the orders.
    """
    return compare_blocks(blocks_of(orders), current, draft, memos, sample_size)


def compare_blocks(
    blocks: Sequence[HistoryBlock],
    current: Sequence[Stage],
    draft: Sequence[DraftStage],
    memos: Mapping[str, DeadlineMemo],
    sample_size: int = SAMPLE_SIZE,
) -> Comparison:
    """``compare`` over the history as blocks (the same answer for the same orders)."""
    current_stages = [DraftStage(stage) for stage in current]
    before, after = _Replayer(current_stages), _Replayer(draft)
    to_on_time: list[list[int]] = []
    """Per block, the orders (their index) late under the current flow, on time in the draft:
    lists of ints, which the garbage collector does not track (tuples would be)."""
    to_late: list[list[int]] = []
    promises: dict[str, _Promises] = {}
    promised = recorded = 0
    for block in blocks:
        memo = memos[block.branch]
        if block.branch not in promises:
            promises[block.branch] = _Promises(memo, before.plan, after.plan)
        prefixes: dict[tuple[str, ...], list[float]] = {}
        old_totals = before.add(block, memo, prefixes)
        new_totals = after.add(block, memo, prefixes)
        old_promised, new_promised = promises[block.branch].of(block.opened_us)
        days = _days(memo, block.delivered_us)
        leads = list(map(truediv, map(sub, block.delivered_us, block.opened_us), repeat(1e6)))
        old_days = _replayed_days(block, old_totals, memo, leads, days)
        new_days = _replayed_days(block, new_totals, memo, leads, days)
        old = list(map(le, old_days, old_promised))
        new = list(map(le, new_days, new_promised))
        before.on_time += sum(old)
        after.on_time += sum(new)
        changed = list(map(ne, old, new))
        to_late.append(list(compress(count(), map(and_, changed, old))))
        to_on_time.append(list(compress(count(), map(and_, changed, new))))
        # The recorded rate: the real delivery's day against the date really promised.
        with_promise = list(map(is_not, block.promised_days, repeat(None)))
        promise_days = cast(Iterator[int], compress(block.promised_days, with_promise))
        promised += sum(with_promise)
        recorded += sum(map(le, compress(days, with_promise), promise_days))
    ordered: dict[tuple[int, ...], list[float]] = {}
    return Comparison(
        current=_outcome(current_stages, before, ordered),
        draft=_outcome(draft, after, ordered),
        recorded_on_time_rate=rate(recorded, promised),
        late_to_on_time=sum(map(len, to_on_time)),
        on_time_to_late=sum(map(len, to_late)),
        late_to_on_time_samples=_sample(to_on_time, blocks, memos, before, after, sample_size),
        on_time_to_late_samples=_sample(to_late, blocks, memos, before, after, sample_size),
    )


class _Promises:
    """The promised days (ordinals) under both plans for orders of one branch, by the UTC hour
    of their opening where every instant of the hour has the same entry."""

    __slots__ = ("_after", "_before", "_by_entry", "_memo", "after", "before")

    def __init__(self, memo: DeadlineMemo, before: Plan, after: Plan) -> None:
        self._memo, self._before, self._after = memo, before, after
        self._by_entry: dict[EntryKey, tuple[int, int]] = {}
        self.before: dict[int, int] = {}
        self.after: dict[int, int] = {}

    def of(self, opened_us: Sequence[int]) -> tuple[list[int], list[int]]:
        """Each order's promised day under the plan before, and after."""
        hours = list(map(floordiv, opened_us, repeat(HOUR_US)))
        for hour in set(hours).difference(self.before):
            self._learn(hour)
        before = list(map(self.before.get, hours))
        after = list(map(self.after.get, hours))
        if None in before:
            for index, found in enumerate(before):
                if found is None:
                    before[index], after[index] = self._at(opened_us[index])
        return cast(list[int], before), cast(list[int], after)

    def _learn(self, hour: int) -> None:
        memo = self._memo
        memo.learn_hour(hour)
        key = memo.hour_entries.get(hour)
        if key is not None:
            self.before[hour], self.after[hour] = self._at(hour * HOUR_US, key)

    def _at(self, opened: int, key: EntryKey | None = None) -> tuple[int, int]:
        memo = self._memo
        if key is None:
            key = memo.entry_key(opened)
        found = self._by_entry.get(key)
        if found is None:
            entry = memo.entry(instant(opened))
            found = self._by_entry[key] = (
                memo.promise(entry, self._before).toordinal(),
                memo.promise(entry, self._after).toordinal(),
            )
        return found


def _days(memo: DeadlineMemo, instants: Sequence[int]) -> list[int]:
    """The local day (ordinal) of each instant (microseconds since the epoch)."""
    hours = list(map(floordiv, instants, repeat(HOUR_US)))
    for hour in set(hours).difference(memo.hour_days):
        memo.learn_hour(hour)
    days = list(map(memo.hour_days.get, hours))
    if None in days:
        for index, day in enumerate(days):
            if day is None:
                days[index] = memo.day_of(instants[index])
    return cast(list[int], days)


def _replayed_days(
    block: HistoryBlock,
    totals: Sequence[float],
    memo: DeadlineMemo,
    leads: Sequence[float],
    days: list[int],
) -> list[int]:
    """``delivery_days``; or, when every replay of the block ends within 0.1 µs of the real
    delivery (the current flow, mostly), the real deliveries' ``days``: rounded to the
    microsecond, as ``timedelta(seconds=total)`` does, such a replay ends on the real instant."""
    if max(map(abs, map(sub, totals, leads)), default=0.0) < _SAME_S:
        return days
    return delivery_days(block, totals, memo)


def delivery_days(block: HistoryBlock, totals: Sequence[float], memo: DeadlineMemo) -> list[int]:
    """The local day (ordinal) of each replayed delivery, ``opened + timedelta(seconds=total)``.

    In floating point, ``opened + total * 1e6`` is within a microsecond of the exact instant,
    so the exact one lies between that less and plus 2 µs: when both fall in hours of the same
    local day, that is its day. Otherwise (an hour that changes day, or the edge of a day) the
    day is worked out exactly."""
    hour = float(HOUR_US)
    at = list(map(add, block.opened_us, map(mul, totals, repeat(1e6))))
    early = list(map(floordiv, map(sub, at, repeat(_NEAR_US)), repeat(hour)))
    late = list(map(floordiv, map(add, at, repeat(_NEAR_US)), repeat(hour)))
    for unknown in set(early).union(late).difference(memo.hour_days):
        memo.learn_hour(int(unknown))
    days = list(map(memo.hour_days.get, early))
    unsure = list(compress(count(), map(ne, days, map(memo.hour_days.get, late))))
    if None in days:
        unsure.extend(index for index, day in enumerate(days) if day is None)
    for index in unsure:
        days[index] = memo.day_after(block.opened_us[index], totals[index])
    return cast(list[int], days)


def _outcome(
    stages: Sequence[DraftStage],
    replayer: _Replayer,
    ordered: dict[tuple[int, ...], list[float]] | None = None,
) -> Outcome:
    """The figures of one flow's replays. Percentiles are taken over the seconds and then put
    in hours: the same values as over hours, as dividing by 3,600 keeps the order.

    ``ordered`` remembers sorted columns by the identity of their blocks' columns: a stage both
    flows keep with real times is sorted once."""
    sorted_columns = {} if ordered is None else ordered
    count = replayer.orders
    real = replayer.real
    figures = []
    for index, draft in enumerate(stages):
        columns = replayer.columns[index]
        identity = tuple(id(column) for column in columns)
        seconds = sorted_columns.get(identity)
        if seconds is None:
            seconds = sorted_columns[identity] = sorted(chain.from_iterable(columns))
        real_orders = real[index]
        if count and real_orders * 2 >= count:
            source = TimeSource.REAL
        else:
            source = TimeSource.TYPED if draft.typed_hours is not None else TimeSource.PLANNED
        figures.append(
            StageFigure(
                key=draft.stage.key,
                name=draft.stage.name,
                planned_days=draft.stage.planned_days,
                counting=draft.stage.counting.value,
                source=source,
                real_orders=real_orders,
                median_hours=_hours(ranked(seconds, 0.5)),
                p90_hours=_hours(ranked(seconds, 0.9)),
            )
        )
    leads = sorted(chain.from_iterable(replayer.totals))
    return Outcome(
        orders=count,
        on_time=replayer.on_time,
        on_time_rate=rate(replayer.on_time, count),
        median_lead_hours=_hours(ranked(leads, 0.5)),
        p90_lead_hours=_hours(ranked(leads, 0.9)),
        stages=tuple(figures),
    )


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600.0


def _sample(
    flips: list[list[int]],
    blocks: Sequence[HistoryBlock],
    memos: Mapping[str, DeadlineMemo],
    before: _Replayer,
    after: _Replayer,
    size: int,
) -> tuple[Flip, ...]:
    """The first ``size`` flips by order number: the same answer every time."""
    first = heapq.nsmallest(
        size,
        (
            (blocks[number].numbers[index], blocks[number].order_ids[index], number, index)
            for number, indexes in enumerate(flips)
            for index in indexes
        ),
    )
    samples = []
    for _, _, number, index in first:
        block = blocks[number]
        memo = memos[block.branch]
        opened = instant(block.opened_us[index])
        entry = memo.entry(opened)
        old = memo.local_day(opened + timedelta(seconds=before.totals[number][index]))
        new = memo.local_day(opened + timedelta(seconds=after.totals[number][index]))
        flip = Flip(
            block.order_ids[index], block.numbers[index], memo.promise(entry, before.plan), old,
            memo.promise(entry, after.plan), new,
        )  # fmt: skip
        samples.append(flip)
    return tuple(samples)
