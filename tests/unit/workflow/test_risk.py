"""Risk: on track, at risk, overdue, with reasons in Portuguese and the next timer."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.order_state import OrderState, State
from workflow.domain.risk import RiskLevel, assess_risk

SP = ZoneInfo("America/Sao_Paulo")
ENTERED = datetime(2026, 3, 2, 10, 0, tzinfo=SP)  # Monday
DUE = datetime(2026, 3, 4, 18, 0, tzinfo=SP)  # 56 h later
STATE = OrderState(
    status=State.IN_PROGRESS,
    flow_version=1,
    stage_position=1,
    entry_sequence=2,
    stage_entered_at=ENTERED,
    stage_due_at=DUE,
    stage_planned_due_at=DUE,
    projected_completion_at=datetime(2026, 3, 6, 18, 0, tzinfo=SP),
    promised_date=date(2026, 3, 9),
)
BUDGET = DUE - ENTERED
BRANCH = BranchCalendar(timezone="America/Sao_Paulo", closed_days={})
B = DayCounting.BUSINESS
# After Surfaçagem, 2 business days: the projection above is DUE chained through them.
FLOW = FlowVersion(
    "venda",
    "Venda",
    1,
    (
        Stage("recebida", "Recebida", 0, B),
        Stage("surf", "Surfaçagem", 2, B),
        Stage("mont", "Montagem", 2, B),
    ),
)


def assess(state: OrderState, now: datetime, share: float = 0.8):  # type: ignore[no-untyped-def]
    return assess_risk(state, FLOW, BRANCH, now, share)


def test_a_fresh_stage_is_on_track_until_it_has_used_its_share() -> None:
    risk = assess(STATE, ENTERED + timedelta(hours=1))

    assert (risk.level, risk.reason) == (RiskLevel.ON_TRACK, "Dentro do prazo")
    assert risk.next_check_at == DUE - 0.2 * BUDGET


def test_at_the_share_of_its_time_the_stage_is_at_risk_saying_how_much_it_used() -> None:
    risk = assess(STATE, DUE - 0.2 * BUDGET)

    assert risk.level is RiskLevel.AT_RISK
    assert risk.reason == "A etapa “Surfaçagem” já usou 80% do prazo (limite 80%)"
    assert risk.next_check_at == DUE


def test_the_share_is_configurable() -> None:
    half = ENTERED + BUDGET / 2
    assert assess(STATE, half, share=0.5).level is RiskLevel.AT_RISK
    assert assess(STATE, half, share=0.8).level is RiskLevel.ON_TRACK


def test_once_the_stage_is_due_the_order_is_overdue() -> None:
    risk = assess(STATE, DUE)

    assert risk.level is RiskLevel.OVERDUE
    assert risk.reason == "A etapa “Surfaçagem” venceu em 04/03/2026 às 18:00"
    assert risk.next_check_at == datetime(2026, 3, 10, 0, 0, tzinfo=SP)  # end of the promise


def test_a_passed_promised_date_is_overdue_even_with_the_stage_on_time() -> None:
    state = replace(STATE, promised_date=date(2026, 3, 1))

    risk = assess(state, ENTERED)

    assert risk.level is RiskLevel.OVERDUE
    assert "A data prometida (01/03/2026) passou" in risk.reason


def test_a_projection_after_the_promised_date_is_at_risk() -> None:
    state = replace(STATE, promised_date=date(2026, 3, 5))

    risk = assess(state, ENTERED)

    assert risk.level is RiskLevel.AT_RISK
    assert risk.reason == (
        "A previsão de conclusão (06/03/2026) é depois da data prometida (05/03/2026)"
    )


def test_a_lab_forecast_after_the_promised_date_is_at_risk() -> None:
    state = replace(STATE, lab_eta=date(2026, 3, 10))

    risk = assess(state, ENTERED)

    assert risk.level is RiskLevel.AT_RISK
    assert "previsão do laboratório (10/03/2026)" in risk.reason


def test_every_cause_of_the_level_is_named() -> None:
    state = replace(STATE, lab_eta=date(2026, 3, 10))

    risk = assess(state, DUE - 0.1 * BUDGET)

    assert risk.reason.count(";") == 1
    assert "laboratório" in risk.reason
    assert "já usou 90%" in risk.reason


def test_a_stopped_clock_never_lets_the_stage_fall_due() -> None:
    paused = replace(STATE, status=State.PAUSED, paused_at=ENTERED + timedelta(hours=1))

    risk = assess(paused, DUE + timedelta(days=2))

    assert risk.level is not RiskLevel.OVERDUE


def test_a_stopped_clock_moves_the_projection_at_each_closing_time() -> None:
    paused = replace(STATE, status=State.PAUSED, paused_at=ENTERED + timedelta(hours=1))
    tuesday_noon = datetime(2026, 3, 3, 12, 0, tzinfo=SP)

    # Monday's closing passed: due Thu 05/03, projection Mon 09/03, the promised day.
    risk = assess(paused, tuesday_noon)

    assert risk.level is RiskLevel.ON_TRACK
    assert risk.next_check_at == datetime(2026, 3, 3, 18, 0, tzinfo=SP)
    # At Tuesday's closing the projection moves to Tue 10/03, after the promise.
    later = assess(paused, risk.next_check_at)
    assert later.level is RiskLevel.AT_RISK
    assert "previsão de conclusão (10/03/2026)" in later.reason


def test_a_projection_that_follows_the_lab_says_so() -> None:
    state = replace(
        STATE,
        projected_completion_at=datetime(2026, 3, 12, 18, 0, tzinfo=SP),
        projected_from_lab_eta=date(2026, 3, 10),
        lab_status="surfacing",
        lab_eta=date(2026, 3, 10),
    )

    risk = assess(state, ENTERED)

    assert risk.reason == (
        "A previsão de conclusão (12/03/2026, pela previsão do laboratório de 10/03) é depois "
        "da data prometida (09/03/2026)"
    )


def test_closed_orders_are_not_assessed() -> None:
    with pytest.raises(ValueError, match="not assessed"):
        assess(replace(STATE, status=State.DELIVERED), ENTERED)


@settings(max_examples=300, deadline=None)
@given(
    st.timedeltas(timedelta(hours=-2), timedelta(days=12)),
    st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=3))),
    st.dates(date(2026, 3, 1), date(2026, 3, 15)),
    st.floats(0.05, 1.0),
)
def test_the_level_never_changes_before_the_next_check(
    offset: timedelta, paused_for: timedelta | None, promised: date, share: float
) -> None:
    state = replace(STATE, promised_date=promised)
    now = ENTERED + offset
    if paused_for is not None:
        state = replace(state, status=State.PAUSED, paused_at=now - paused_for)
    risk = assess(state, now, share)
    if risk.next_check_at is None:
        return
    just_before = risk.next_check_at - timedelta(microseconds=1)
    assert just_before < now or assess(state, just_before, share).level is risk.level
