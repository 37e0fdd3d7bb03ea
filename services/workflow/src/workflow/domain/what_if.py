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


def replay(order: HistoricalOrder, stages: Sequence[DraftStage], memo: DeadlineMemo) -> Replayed:
    """One order under ``stages`` (rules 1–4)."""
    at = order.opened_at
    spent: list[float] = []
    real: list[bool] = []
    for draft in stages:
        stage = draft.stage
        seconds = order.stage_seconds.get(stage.key)
        if seconds is None:
            if draft.typed_hours is not None:
                seconds = draft.typed_hours * 3600.0
            else:
                due = memo.due_at(at, stage.planned_days, stage.counting)
                seconds = max((due - at).total_seconds(), 0.0)
            real.append(False)
        else:
            real.append(True)
        spent.append(seconds)
        at = at + timedelta(seconds=seconds)
    delivered_at = at + timedelta(seconds=order.outside_seconds)
    promised = memo.promise(order.opened_at, plan_of([d.stage for d in stages]))
    return Replayed(promised, delivered_at, memo.local_day(delivered_at), tuple(spent), tuple(real))


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
    before: list[Replayed] = []
    after: list[Replayed] = []
    for order in orders:
        memo = memos[order.branch]
        before.append(replay(order, current_stages, memo))
        after.append(replay(order, draft, memo))
    to_on_time: list[Flip] = []
    to_late: list[Flip] = []
    for order, old, new in zip(orders, before, after, strict=True):
        if old.on_time != new.on_time:
            flip = Flip(
                order.order_id,
                order.number,
                old.promised_on,
                old.delivered_on,
                new.promised_on,
                new.delivered_on,
            )
            (to_on_time if new.on_time else to_late).append(flip)
    promised = sum(1 for o in orders if o.promised_date is not None)
    recorded = sum(
        1
        for o in orders
        if o.promised_date is not None
        and memos[o.branch].local_day(o.delivered_at) <= o.promised_date
    )
    return Comparison(
        current=outcome(orders, current_stages, before),
        draft=outcome(orders, draft, after),
        recorded_on_time_rate=rate(recorded, promised),
        late_to_on_time=len(to_on_time),
        on_time_to_late=len(to_late),
        late_to_on_time_samples=_sample(to_on_time, sample_size),
        on_time_to_late_samples=_sample(to_late, sample_size),
    )


def outcome(
    orders: Sequence[HistoricalOrder], stages: Sequence[DraftStage], replays: Sequence[Replayed]
) -> Outcome:
    """The figures of one flow's replays."""
    leads = [
        (r.delivered_at - o.opened_at).total_seconds() / 3600.0
        for o, r in zip(orders, replays, strict=True)
    ]
    on_time = sum(1 for r in replays if r.on_time)
    figures = []
    for index, draft in enumerate(stages):
        hours = [r.stage_seconds[index] / 3600.0 for r in replays]
        real_orders = sum(1 for r in replays if r.real[index])
        if real_orders * 2 >= len(replays) and replays:
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
        orders=len(replays),
        on_time=on_time,
        on_time_rate=rate(on_time, len(replays)),
        median_lead_hours=median(leads),
        p90_lead_hours=percentile(leads, 0.9),
        stages=tuple(figures),
    )


def _sample(flips: list[Flip], size: int) -> tuple[Flip, ...]:
    """The first ``size`` flips by order number: the same answer every time."""
    return tuple(sorted(flips, key=lambda flip: (flip.number, flip.order_id))[:size])
