"""Process review: when a service type's owner must review its flow, and the period's figures.

Rules:

1. A service type may have a **process owner** (a person) and a **cadence**: daily, weekly,
   monthly or quarterly.
2. The next review is **due** one cadence after the last review's day; with no review yet, on
   the day the owner was named (a new owner reviews at once). A month after 31/01 is the last
   day of February; a quarter is three months.
3. On and after the due day the review is ``due``; it is ``late`` once the grace has passed as
   well (daily 0 days, weekly 1, monthly 5, quarterly 10): due 10/03 monthly is still ``due``
   on 15/03 and ``late`` on 16/03. Before the due day it is ``scheduled``.
4. The review's **period** is the cadence's length ending today (1, 7, 30 or 91 days, both ends
   inclusive); the **previous period** is as long, just before it.
5. A period's figures, over the orders delivered in it: on time against the promised date,
   median and p90 lead time (nearest rank), per stage the median and p90 time and the share of
   orders that left it late, the **bottleneck** (the stage most orders left late; ties: the
   longer median), and the late orders by **cause**, the first that applies: the lab (the stage
   that ran latest is one the lab works in, and the order has a lab), that stage, a pause, or
   none of these ("outro": the promise was shorter than the plan).
"""

from __future__ import annotations

import calendar as months
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from workflow.domain.flow import Stage
from workflow.domain.history import HistoricalOrder, median, percentile, rate


class Cadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


CADENCE_LABELS = {
    Cadence.DAILY: "diária",
    Cadence.WEEKLY: "semanal",
    Cadence.MONTHLY: "mensal",
    Cadence.QUARTERLY: "trimestral",
}
GRACE_DAYS = {Cadence.DAILY: 0, Cadence.WEEKLY: 1, Cadence.MONTHLY: 5, Cadence.QUARTERLY: 10}
PERIOD_DAYS = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.MONTHLY: 30, Cadence.QUARTERLY: 91}


class ReviewState(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    LATE = "late"


def add_months(day: date, count: int) -> date:
    """The same day ``count`` months later, or that month's last day when it is shorter."""
    month_index = day.month - 1 + count
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, months.monthrange(year, month)[1]))


def next_review_on(cadence: Cadence, last_review_on: date | None, owner_since: date) -> date:
    """Rule 2."""
    if last_review_on is None:
        return owner_since
    if cadence is Cadence.DAILY:
        return last_review_on + timedelta(days=1)
    if cadence is Cadence.WEEKLY:
        return last_review_on + timedelta(days=7)
    return add_months(last_review_on, 1 if cadence is Cadence.MONTHLY else 3)


@dataclass(frozen=True, slots=True)
class ReviewDue:
    due_on: date
    state: ReviewState
    days_late: int
    """Days past the due day (0 unless late)."""


def review_due(
    cadence: Cadence, last_review_on: date | None, owner_since: date, today: date
) -> ReviewDue:
    """Rules 2 and 3."""
    due_on = next_review_on(cadence, last_review_on, owner_since)
    if today < due_on:
        return ReviewDue(due_on, ReviewState.SCHEDULED, 0)
    past = (today - due_on).days
    if past > GRACE_DAYS[cadence]:
        return ReviewDue(due_on, ReviewState.LATE, past)
    return ReviewDue(due_on, ReviewState.DUE, 0)


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date


def review_periods(cadence: Cadence, today: date) -> tuple[Period, Period]:
    """Rule 4: (the period, the previous period)."""
    length = PERIOD_DAYS[cadence]
    first = today - timedelta(days=length - 1)
    previous_last = first - timedelta(days=1)
    return Period(first, today), Period(previous_last - timedelta(days=length - 1), previous_last)


@dataclass(frozen=True, slots=True)
class StagePeriodFigure:
    key: str
    name: str
    planned_days: int
    counting: str
    orders: int
    median_hours: float | None
    p90_hours: float | None
    late_rate: float | None
    """Share of the orders through the stage that left it after its due time."""


@dataclass(frozen=True, slots=True)
class LateCause:
    kind: str
    """``lab``, ``stage``, ``pause`` or ``other``."""
    label: str
    """What people read: "Laboratório LABDEMO", "Etapa Montagem", "Pausa", "Outro"."""
    orders: int


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    delivered: int
    on_time: int
    on_time_rate: float | None
    median_lead_hours: float | None
    p90_lead_hours: float | None
    stages: tuple[StagePeriodFigure, ...]
    bottleneck: str | None
    """The bottleneck stage's key."""
    late_causes: tuple[LateCause, ...]


def period_figures(
    orders: Sequence[tuple[HistoricalOrder, date]], stages: Sequence[Stage]
) -> PeriodFigures:
    """Rule 5, over (order, its delivery's local day) pairs and the type's current stages."""
    with_promise = [(o, day) for o, day in orders if o.promised_date is not None]
    late = [o for o, day in with_promise if o.promised_date is not None and day > o.promised_date]
    leads = [o.lead_seconds / 3600.0 for o, _ in orders]
    figures = []
    for stage in stages:
        through = [o for o, _ in orders if stage.key in o.stage_seconds]
        hours = [o.stage_seconds[stage.key] / 3600.0 for o in through]
        figures.append(
            StagePeriodFigure(
                key=stage.key,
                name=stage.name,
                planned_days=stage.planned_days,
                counting=stage.counting.value,
                orders=len(through),
                median_hours=median(hours),
                p90_hours=percentile(hours, 0.9),
                late_rate=rate(sum(1 for o in through if stage.key in o.late_stages), len(through)),
            )
        )
    return PeriodFigures(
        delivered=len(orders),
        on_time=len(with_promise) - len(late),
        on_time_rate=rate(len(with_promise) - len(late), len(with_promise)),
        median_lead_hours=median(leads),
        p90_lead_hours=percentile(leads, 0.9),
        stages=tuple(figures),
        bottleneck=_bottleneck(figures),
        late_causes=_causes(late, stages),
    )


def _bottleneck(figures: Sequence[StagePeriodFigure]) -> str | None:
    ranked = [f for f in figures if f.late_rate]
    if not ranked:
        return None
    worst = max(ranked, key=lambda f: (f.late_rate or 0.0, f.median_hours or 0.0))
    return worst.key


def _causes(late: Sequence[HistoricalOrder], stages: Sequence[Stage]) -> tuple[LateCause, ...]:
    names = {stage.key: stage.name for stage in stages}
    lab_stages = {stage.key for stage in stages if stage.lab_statuses}
    counts: dict[tuple[str, str], int] = {}
    for order in late:
        if order.late_stage in lab_stages and order.lab_code:
            key = ("lab", f"Laboratório {order.lab_code}")
        elif order.late_stage is not None:
            key = ("stage", f"Etapa {names.get(order.late_stage, order.late_stage)}")
        elif order.paused_seconds > 0:
            key = ("pause", "Pausa")
        else:
            key = ("other", "Outro (prometida antes do previsto)")
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(LateCause(kind, label, count) for (kind, label), count in ranked)
