"""Process review: when a review is due or late, its periods, and a period's figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.domain.calendar import DayCounting
from workflow.domain.flow import Stage
from workflow.domain.history import HistoricalOrder
from workflow.domain.process_review import (
    Cadence,
    Period,
    ReviewState,
    add_months,
    next_review_on,
    period_figures,
    review_due,
    review_periods,
)

SP = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("cadence", "last", "expected"),
    [
        (Cadence.DAILY, date(2026, 3, 10), date(2026, 3, 11)),
        (Cadence.WEEKLY, date(2026, 3, 10), date(2026, 3, 17)),
        (Cadence.MONTHLY, date(2026, 3, 10), date(2026, 4, 10)),
        (Cadence.MONTHLY, date(2026, 1, 31), date(2026, 2, 28)),
        (Cadence.QUARTERLY, date(2026, 11, 30), date(2027, 2, 28)),
        (Cadence.MONTHLY, None, date(2026, 3, 1)),  # never reviewed: due when the owner was named
    ],
)
def test_the_next_review_is_one_cadence_after_the_last(
    cadence: Cadence, last: date | None, expected: date
) -> None:
    assert next_review_on(cadence, last, owner_since=date(2026, 3, 1)) == expected


@pytest.mark.parametrize(
    ("cadence", "today", "state", "days_late"),
    [
        (Cadence.MONTHLY, date(2026, 4, 9), ReviewState.SCHEDULED, 0),
        (Cadence.MONTHLY, date(2026, 4, 10), ReviewState.DUE, 0),
        (Cadence.MONTHLY, date(2026, 4, 15), ReviewState.DUE, 0),
        (Cadence.MONTHLY, date(2026, 4, 16), ReviewState.LATE, 6),
        (Cadence.DAILY, date(2026, 3, 11), ReviewState.DUE, 0),
        (Cadence.DAILY, date(2026, 3, 12), ReviewState.LATE, 1),
        (Cadence.WEEKLY, date(2026, 3, 18), ReviewState.DUE, 0),
        (Cadence.WEEKLY, date(2026, 3, 19), ReviewState.LATE, 2),
        (Cadence.QUARTERLY, date(2026, 6, 20), ReviewState.DUE, 0),
        (Cadence.QUARTERLY, date(2026, 6, 21), ReviewState.LATE, 11),
    ],
)
def test_a_review_is_due_on_its_day_and_late_after_the_grace(
    cadence: Cadence, today: date, state: ReviewState, days_late: int
) -> None:
    due = review_due(cadence, date(2026, 3, 10), date(2026, 1, 1), today)
    assert (due.state, due.days_late) == (state, days_late)


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month() -> None:
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 3) == date(2027, 3, 15)


def test_the_period_is_the_cadence_length_ending_today_and_the_previous_just_before() -> None:
    period, previous = review_periods(Cadence.WEEKLY, date(2026, 12, 2))
    assert period == Period(date(2026, 11, 26), date(2026, 12, 2))
    assert previous == Period(date(2026, 11, 19), date(2026, 11, 25))
    monthly, before = review_periods(Cadence.MONTHLY, date(2026, 12, 2))
    assert (monthly.first, before.last, before.first) == (
        date(2026, 11, 3),
        date(2026, 11, 2),
        date(2026, 10, 4),
    )


STAGES = (
    Stage("conferencia", "Conferência", 1, DayCounting.BUSINESS),
    Stage("producao", "Produção", 5, DayCounting.BUSINESS, lab_statuses=("in_production",)),
    Stage("montagem", "Montagem", 1, DayCounting.BUSINESS),
)
OPENED = datetime(2026, 11, 2, 10, 0, tzinfo=SP)


def delivered(
    number: str,
    hours: tuple[float, float, float],
    delivered_on: date,
    *,
    late: tuple[str, ...] = (),
    worst: str | None = None,
    paused: float = 0.0,
    lab: str | None = "LABX",
) -> tuple[HistoricalOrder, date]:
    seconds = {s.key: h * 3600 for s, h in zip(STAGES, hours, strict=True)}
    order = HistoricalOrder(
        number,
        number,
        "sp",
        1,
        OPENED,
        OPENED + timedelta(hours=sum(hours)),
        date(2026, 11, 10),
        seconds,
        late_stage=worst,
        late_stages=frozenset(late),
        paused_seconds=paused,
        lab_code=lab,
    )
    return order, delivered_on


def test_period_figures_name_the_bottleneck_and_the_causes_of_late_orders() -> None:
    on_time = date(2026, 11, 9)
    late_day = date(2026, 11, 12)
    orders = [
        delivered("1", (10, 100, 10), on_time),
        delivered("2", (20, 200, 30), late_day, late=("producao",), worst="producao"),
        delivered("3", (30, 150, 50), late_day, late=("producao", "montagem"), worst="montagem"),
        delivered("4", (5, 120, 20), late_day, paused=3600),
        delivered("5", (5, 300, 20), late_day, late=("producao",), worst="producao", lab=None),
    ]

    figures = period_figures(orders, STAGES)

    assert (figures.delivered, figures.on_time, figures.on_time_rate) == (5, 1, 0.2)
    # Lead hours 120, 250, 230, 145, 325: median the 3rd (230), p90 the 5th (325).
    assert (figures.median_lead_hours, figures.p90_lead_hours) == (230.0, 325.0)
    production = figures.stages[1]
    assert (production.median_hours, production.p90_hours, production.late_rate) == (
        150.0,
        300.0,
        0.6,
    )
    assert figures.bottleneck == "producao"
    # Order 2: the lab's stage ran latest and it has a lab; 3: Montagem; 4: only a pause;
    # 5: the lab's stage but no lab on the order, so the stage itself.
    assert [(c.kind, c.label, c.orders) for c in figures.late_causes] == [
        ("lab", "Laboratório LABX", 1),
        ("pause", "Pausa", 1),
        ("stage", "Etapa Montagem", 1),
        ("stage", "Etapa Produção", 1),
    ]


def test_a_period_with_no_orders_has_no_figures() -> None:
    figures = period_figures([], STAGES)
    assert figures.on_time_rate is None
    assert figures.median_lead_hours is None
    assert figures.bottleneck is None
    assert figures.late_causes == ()
