"""Opening an order places it in the first stage with a due time and a proposed promise."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.order_actions import StageEntered
from workflow.domain.order_state import EmptyFlow, State, open_order
from workflow.domain.order_texts import describe

SP = ZoneInfo("America/Sao_Paulo")
CALENDAR = BranchCalendar(
    timezone="America/Sao_Paulo", closed_days={date(2026, 11, 20): "Consciência Negra"}
)
FLOW = FlowVersion(
    service_type="reparo",
    name="Reparo",
    version=3,
    stages=(
        Stage("avaliacao", "Avaliação", 1, DayCounting.BUSINESS, sms_template="Olá {nome}"),
        Stage("conserto", "Conserto", 3, DayCounting.BUSINESS),
        Stage("pronto", "Pronto", 0, DayCounting.BUSINESS),
    ),
)


def test_a_new_order_enters_the_first_stage_due_at_the_close_of_its_planned_day() -> None:
    opened_at = datetime(2026, 11, 18, 10, 0, tzinfo=SP)  # Wednesday
    decision = open_order(FLOW, CALENDAR, opened_at, promised_date=None)
    assert decision.state.status is State.IN_PROGRESS
    assert decision.state.flow_version == 3
    assert decision.state.stage_position == 0
    assert decision.state.entry_sequence == 1
    assert decision.state.stage_due_at == datetime(2026, 11, 19, 18, 0, tzinfo=SP)
    (entered,) = decision.events
    assert isinstance(entered, StageEntered)
    assert entered.to_stage.key == "avaliacao"
    assert entered.from_stage is None


def test_without_a_promise_the_projected_completion_is_proposed_skipping_the_holiday() -> None:
    # Thu 19 close → 3 business days skipping Fri 20 (holiday) and the weekend → Wed 25.
    decision = open_order(FLOW, CALENDAR, datetime(2026, 11, 18, 10, 0, tzinfo=SP), None)
    assert decision.state.projected_completion_at == datetime(2026, 11, 25, 18, 0, tzinfo=SP)
    assert decision.state.promised_date == date(2026, 11, 25)
    assert decision.state.promised_date_proposed is True


def test_the_attendants_promise_is_kept() -> None:
    decision = open_order(
        FLOW, CALENDAR, datetime(2026, 11, 18, 10, 0, tzinfo=SP), date(2026, 12, 1)
    )
    assert decision.state.promised_date == date(2026, 12, 1)
    assert decision.state.promised_date_proposed is False


def test_a_flow_without_stages_takes_no_orders() -> None:
    empty = FlowVersion(service_type="vazio", name="Vazio", version=1, stages=())
    with pytest.raises(EmptyFlow):
        open_order(empty, CALENDAR, datetime(2026, 11, 18, 10, 0, tzinfo=SP), None)


def test_a_promise_before_the_proposal_is_kept_marked_and_said_on_the_timeline() -> None:
    opened_at = datetime(2026, 11, 18, 10, 0, tzinfo=SP)  # the proposal is Wed 25/11

    confirmed = open_order(FLOW, CALENDAR, opened_at, date(2026, 11, 23), True)
    unconfirmed = open_order(FLOW, CALENDAR, opened_at, date(2026, 11, 23))

    for decision in (confirmed, unconfirmed):
        assert decision.state.promised_date == date(2026, 11, 23)
        assert decision.state.proposed_date == date(2026, 11, 25)
        assert decision.state.promised_before_proposal is True
    assert describe(confirmed.events[1]).summary == (
        "Data prometida (23/11/2026) antes da proposta (25/11/2026), confirmada no balcão"
    )
    assert describe(unconfirmed.events[1]).summary.endswith(
        "sem a confirmação do balcão; confira com o cliente"
    )


def test_a_promise_on_or_after_the_proposal_is_not_marked() -> None:
    decision = open_order(
        FLOW, CALENDAR, datetime(2026, 11, 18, 10, 0, tzinfo=SP), date(2026, 11, 25)
    )

    assert decision.state.promised_before_proposal is False
    assert len(decision.events) == 1
