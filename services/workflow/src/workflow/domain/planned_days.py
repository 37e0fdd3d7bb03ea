"""Planned days that match reality: suggestions from history (``docs/what-if.md``).

Rules:

1. A stay **met** N planned days when it ended at or before the deadline N days (in the
   stage's counting mode, in the branch calendar) from its entry would have given. The days a
   stay **needed** are the fewest N (0 to 365) it met; a stay longer than that needs 366.
2. The suggestion for a stage is the smallest N that at least ``share`` (80 %) of its stays met:
   the nearest-rank percentile of the days needed. The current planned days' share is given
   beside it.
3. For the whole type, the promise kept by a share of orders (80 %, 90 %, 95 %) is the
   smallest number of business days from the real opening whose deadline day was on or after
   the delivery's local day, for that share of the delivered orders (nearest rank again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from workflow.domain.calendar import DayCounting
from workflow.domain.flow import Stage
from workflow.domain.history import DeadlineMemo, HistoricalOrder, percentile, rate

MAX_DAYS = 365
SHARE = 0.8
PROMISE_SHARES = (0.8, 0.9, 0.95)
BUSINESS = DayCounting.BUSINESS.value


@dataclass(frozen=True, slots=True)
class Stay:
    stage_key: str
    branch: str
    entered_at: datetime
    exited_at: datetime


def days_needed(
    entered_at: datetime, exited_at: datetime, counting: DayCounting, memo: DeadlineMemo
) -> int:
    """The fewest planned days whose deadline from ``entered_at`` the stay met (rule 1)."""
    for days in range(MAX_DAYS + 1):
        if exited_at <= memo.due_at(entered_at, days, counting.value):
            return days
    return MAX_DAYS + 1


@dataclass(frozen=True, slots=True)
class StageSuggestion:
    key: str
    name: str
    counting: DayCounting
    planned_days: int
    suggested_days: int | None
    """None when the stage has no finished stay in the period."""
    stays: int
    met_planned_rate: float | None
    """Share of stays that met the current planned days."""
    met_suggested_rate: float | None


def suggest_stage_days(
    stages: Sequence[Stage],
    stays: Sequence[Stay],
    memos: Mapping[str, DeadlineMemo],
    share: float = SHARE,
) -> tuple[StageSuggestion, ...]:
    """One suggestion per stage of the flow, in flow order (rule 2)."""
    needed: dict[str, list[int]] = {stage.key: [] for stage in stages}
    counting = {stage.key: stage.counting for stage in stages}
    for stay in stays:
        if stay.stage_key in needed:
            needed[stay.stage_key].append(
                days_needed(
                    stay.entered_at, stay.exited_at, counting[stay.stage_key], memos[stay.branch]
                )
            )
    suggestions = []
    for stage in stages:
        days = needed[stage.key]
        suggested = percentile([float(d) for d in days], share)
        suggested_days = None if suggested is None else int(suggested)
        suggestions.append(
            StageSuggestion(
                key=stage.key,
                name=stage.name,
                counting=stage.counting,
                planned_days=stage.planned_days,
                suggested_days=suggested_days,
                stays=len(days),
                met_planned_rate=rate(sum(1 for d in days if d <= stage.planned_days), len(days)),
                met_suggested_rate=None
                if suggested_days is None
                else rate(sum(1 for d in days if d <= suggested_days), len(days)),
            )
        )
    return tuple(suggestions)


@dataclass(frozen=True, slots=True)
class PromiseSuggestion:
    share: float
    business_days: int | None
    orders: int


def promise_days_needed(order: HistoricalOrder, memo: DeadlineMemo) -> int:
    """Business days from opening whose deadline day is on or after the delivery day."""
    delivered_on = memo.local_day(order.delivered_at)
    for days in range(MAX_DAYS + 1):
        if memo.due_at(order.opened_at, days, BUSINESS).date() >= delivered_on:
            return days
    return MAX_DAYS + 1


def suggest_promises(
    orders: Sequence[HistoricalOrder],
    memos: Mapping[str, DeadlineMemo],
    shares: Sequence[float] = PROMISE_SHARES,
) -> tuple[PromiseSuggestion, ...]:
    """For each share, the promise (business days) kept by that share of orders (rule 3)."""
    needed = [float(promise_days_needed(order, memos[order.branch])) for order in orders]
    return tuple(
        PromiseSuggestion(
            share=share,
            business_days=None if not needed else int(percentile(needed, share) or 0),
            orders=len(needed),
        )
        for share in shares
    )
