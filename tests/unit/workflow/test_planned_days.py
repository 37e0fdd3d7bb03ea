"""Planned-days suggestions from history, worked out by hand.

Calendar: São Paulo's zone, Monday to Friday 09:00–18:00, no holidays; Monday 02/11/2026.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.flow import Stage
from workflow.domain.history import DeadlineMemo, HistoricalOrder
from workflow.domain.planned_days import (
    MAX_DAYS,
    Stay,
    days_needed,
    suggest_promises,
    suggest_stage_days,
)

SP = ZoneInfo("America/Sao_Paulo")
CALENDAR = BranchCalendar("America/Sao_Paulo", {})
MONDAY_10 = datetime(2026, 11, 2, 10, 0, tzinfo=SP)
PRODUCTION = Stage("producao", "Produção", 2, DayCounting.BUSINESS)


def memos() -> dict[str, DeadlineMemo]:
    return {"sp": DeadlineMemo(CALENDAR)}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SP)


def test_days_needed_is_the_fewest_planned_days_the_stay_met() -> None:
    memo = DeadlineMemo(CALENDAR)
    # Entered Monday 10:00: 0 days → Mon 18:00, 1 → Tue 18:00, 2 → Wed, 3 → Thu, 4 → Fri.
    assert days_needed(MONDAY_10, at(2, 15), DayCounting.BUSINESS, memo) == 0
    assert days_needed(MONDAY_10, at(3, 18), DayCounting.BUSINESS, memo) == 1
    assert days_needed(MONDAY_10, at(4, 10), DayCounting.BUSINESS, memo) == 2
    assert days_needed(MONDAY_10, at(5, 19), DayCounting.BUSINESS, memo) == 4
    # Saturday 12:00: business counting needs Monday 09 (5 days); calendar counting needs the
    # 5th day, Saturday, which moves to Monday's closing time too — but 4 calendar days end
    # Friday 18:00, before Saturday noon.
    assert days_needed(MONDAY_10, at(7, 12), DayCounting.BUSINESS, memo) == 5
    assert days_needed(MONDAY_10, at(7, 12), DayCounting.CALENDAR, memo) == 5
    assert (
        days_needed(MONDAY_10, MONDAY_10 + timedelta(days=800), DayCounting.BUSINESS, memo)
        == MAX_DAYS + 1
    )


def test_the_suggestion_is_the_days_eighty_percent_of_stays_met() -> None:
    exits = [at(2, 15), at(3, 17), at(3, 12), at(4, 10), at(5, 19)]  # needed 0, 1, 1, 2, 4
    stays = [Stay("producao", "sp", MONDAY_10, exit_at) for exit_at in exits]

    (suggestion,) = suggest_stage_days([PRODUCTION], stays, memos())

    # Sorted needs 0, 1, 1, 2, 4: the 80th percentile is the 4th of 5 (nearest rank): 2.
    assert suggestion.suggested_days == 2
    assert suggestion.stays == 5
    assert suggestion.met_planned_rate == 0.8
    assert suggestion.met_suggested_rate == 0.8
    lower = suggest_stage_days([PRODUCTION], stays, memos(), share=0.6)[0]
    assert lower.suggested_days == 1  # the 3rd of 5


def test_a_stage_with_no_stay_has_no_suggestion() -> None:
    (suggestion,) = suggest_stage_days([PRODUCTION], [], memos())
    assert suggestion.suggested_days is None
    assert suggestion.met_planned_rate is None


def test_the_type_promise_kept_by_80_90_and_95_percent_of_orders() -> None:
    # Delivered Tue 03 (1 business day from Monday 10:00) ×8, Wed 04 (2) and Mon 09 (5).
    delivered = [at(3, 16)] * 8 + [at(4, 11), at(9, 9)]
    orders = [
        HistoricalOrder(f"id{i}", f"N{i}", "sp", 1, MONDAY_10, day, date(2026, 11, 6), {})
        for i, day in enumerate(delivered)
    ]

    promises = suggest_promises(orders, memos())

    # Needs sorted: 1 ×8, 2, 5 → ranks 8, 9 and 10 of 10.
    assert [(p.share, p.business_days) for p in promises] == [(0.8, 1), (0.9, 2), (0.95, 5)]
    assert all(p.orders == 10 for p in promises)
