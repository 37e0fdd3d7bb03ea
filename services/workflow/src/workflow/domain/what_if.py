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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from workflow.domain.flow import Stage
from workflow.domain.history import (
    DeadlineMemo,
    Entry,
    HistoricalOrder,
    median,
    percentile,
    plan_of,
    rate,
)

SAMPLE_SIZE = 10


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
    """One flow, ready to replay many orders: what each stage takes, and the figures so far.

    The loop over 100,000 orders is the what-if's cost, so it keeps to floats, dict lookups and
    the memo (no object per order): the seconds per stage go straight into their columns, and
    only a stage the order never went through (rule 2) leaves the loop's fast path.
    """

    __slots__ = (
        "columns", "keys", "leads", "missing", "on_time", "plan", "planned", "steps", "typed",
    )  # fmt: skip

    def __init__(self, stages: Sequence[DraftStage]) -> None:
        self.keys = tuple(d.stage.key for d in stages)
        self.typed = tuple(
            None if d.typed_hours is None else d.typed_hours * 3600.0 for d in stages
        )
        self.planned = plan_of([d.stage for d in stages])
        self.plan = self.planned
        self.columns: list[list[float]] = [[] for _ in stages]
        self.steps = tuple(
            zip(
                self.keys,
                range(len(stages)),
                [column.append for column in self.columns],
                strict=True,
            )
        )
        self.missing = [0] * len(stages)
        """Per stage, the orders that never went through it (their time there is not real)."""
        self.leads: list[float] = []
        self.on_time = 0

    @property
    def real(self) -> list[int]:
        """Per stage, the orders whose time there is their real one (rule 1)."""
        count = len(self.leads)
        return [count - missing for missing in self.missing]

    def _not_gone_through(
        self, index: int, opened: datetime, total: float, memo: DeadlineMemo
    ) -> float:
        """Rule 2: the typed time, or the planned time from where the replay has got to."""
        self.missing[index] += 1
        seconds = self.typed[index]
        if seconds is None:
            at = opened + timedelta(seconds=total)
            days, counting = self.planned[index]
            seconds = max((memo.due_at(at, days, counting) - at).total_seconds(), 0.0)
        return seconds

    def add(
        self, order: HistoricalOrder, memo: DeadlineMemo, entry: Entry | None = None
    ) -> tuple[date, datetime, date]:
        """Replay ``order`` (rules 1–4); (promised day, delivery instant, delivery day).

        ``entry`` is ``memo.entry(order.opened_at)`` when the caller has it already."""
        opened = order.opened_at
        spent = order.stage_seconds.get
        total = 0.0
        for key, index, append in self.steps:
            seconds = spent(key)
            if seconds is None:
                seconds = self._not_gone_through(index, opened, total, memo)
            append(seconds)
            total += seconds
        total += order.outside_seconds
        delivered_at = opened + timedelta(seconds=total)
        delivered_on = memo.local_day(delivered_at)
        promised_on = memo.promise(opened if entry is None else entry, self.plan)
        self.leads.append(total / 3600.0)
        if delivered_on <= promised_on:
            self.on_time += 1
        return promised_on, delivered_at, delivered_on


def replay(order: HistoricalOrder, stages: Sequence[DraftStage], memo: DeadlineMemo) -> Replayed:
    """One order under ``stages`` (rules 1–4)."""
    replayer = _Replayer(stages)
    promised_on, delivered_at, delivered_on = replayer.add(order, memo)
    return Replayed(
        promised_on,
        delivered_at,
        delivered_on,
        tuple(column[0] for column in replayer.columns),
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
    current_stages = [DraftStage(stage) for stage in current]
    before, after = _Replayer(current_stages), _Replayer(draft)
    to_on_time: list[Flip] = []
    to_late: list[Flip] = []
    promised = recorded = 0
    for order in orders:
        memo = memos[order.branch]
        entry = memo.entry(order.opened_at)
        old_promised, _, old_delivered = before.add(order, memo, entry)
        new_promised, _, new_delivered = after.add(order, memo, entry)
        was_on_time = old_delivered <= old_promised
        if was_on_time != (new_delivered <= new_promised):
            flip = Flip(
                order.order_id, order.number, old_promised, old_delivered, new_promised,
                new_delivered,
            )  # fmt: skip
            (to_late if was_on_time else to_on_time).append(flip)
        if order.promised_date is not None:
            promised += 1
            if memo.local_day(order.delivered_at) <= order.promised_date:
                recorded += 1
    return Comparison(
        current=_outcome(current_stages, before),
        draft=_outcome(draft, after),
        recorded_on_time_rate=rate(recorded, promised),
        late_to_on_time=len(to_on_time),
        on_time_to_late=len(to_late),
        late_to_on_time_samples=_sample(to_on_time, sample_size),
        on_time_to_late_samples=_sample(to_late, sample_size),
    )


def _outcome(stages: Sequence[DraftStage], replayer: _Replayer) -> Outcome:
    """The figures of one flow's replays."""
    count = len(replayer.leads)
    real = replayer.real
    figures = []
    for index, draft in enumerate(stages):
        hours = [seconds / 3600.0 for seconds in replayer.columns[index]]
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
                median_hours=median(hours),
                p90_hours=percentile(hours, 0.9),
            )
        )
    return Outcome(
        orders=count,
        on_time=replayer.on_time,
        on_time_rate=rate(replayer.on_time, count),
        median_lead_hours=median(replayer.leads),
        p90_lead_hours=percentile(replayer.leads, 0.9),
        stages=tuple(figures),
    )


def _sample(flips: list[Flip], size: int) -> tuple[Flip, ...]:
    """The first ``size`` flips by order number: the same answer every time."""
    return tuple(sorted(flips, key=lambda flip: (flip.number, flip.order_id))[:size])
