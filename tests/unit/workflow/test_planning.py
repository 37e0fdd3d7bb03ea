"""Re-planning (workflow.domain.planning): the projection follows the stage or the lab."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.order_actions import Advance, ApplyLabStatus, Back, Replanned, StageEntered
from workflow.domain.order_machine import decide, open_order
from workflow.domain.order_texts import describe
from workflow.domain.planning import Plan, plan_completion

SP = ZoneInfo("America/Sao_Paulo")
BRANCH = BranchCalendar(timezone="America/Sao_Paulo", closed_days={})
B = DayCounting.BUSINESS
FLOW = FlowVersion(
    "venda-oculos-grau",
    "Venda de óculos de grau",
    1,
    (
        Stage("conferencia", "Conferência", 1, B),
        Stage("producao", "Produção no laboratório", 5, B, lab_statuses=("received", "surfacing")),
        Stage("montagem", "Montagem", 1, B, lab_statuses=("shipped",)),
        Stage("pronto", "Pronto para retirada", 0, B, pauses_clock=True),
    ),
)
PRODUCAO = 1


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SP)


# Production due Thu 10/12/2026 18:00; Montagem 1 day → Fri 11/12 (the plan).
DUE = at("2026-12-10", "18:00")


def test_without_the_lab_the_projection_chains_the_stages_after_the_current_one() -> None:
    assert plan_completion(FLOW, PRODUCAO, DUE, BRANCH) == Plan(at("2026-12-11", "18:00"))


def test_a_later_lab_forecast_plans_the_stages_after_the_lab_from_its_day() -> None:
    # The lab says 21/12 (Monday): Montagem from its closing → Tue 22/12, ready that day.
    plan = plan_completion(FLOW, PRODUCAO, DUE, BRANCH, "surfacing", date(2026, 12, 21))

    assert plan == Plan(at("2026-12-22", "18:00"), date(2026, 12, 21))


def test_an_earlier_lab_forecast_keeps_the_plan() -> None:
    plan = plan_completion(FLOW, PRODUCAO, DUE, BRANCH, "surfacing", date(2026, 12, 8))

    assert plan == Plan(at("2026-12-11", "18:00"))


def test_a_lab_that_shipped_or_cancelled_no_longer_plans_the_order() -> None:
    for status in ("shipped", "cancelled"):
        plan = plan_completion(FLOW, PRODUCAO, DUE, BRANCH, status, date(2026, 12, 21))
        assert plan.lab_eta is None


def test_the_issues_case_the_lab_says_21_12_then_brings_it_back() -> None:
    state = open_order(FLOW, BRANCH, at("2026-12-01"), date(2026, 12, 16)).state
    state = decide(state, Advance("ana"), FLOW, BRANCH, at("2026-12-02")).state
    assert state.projected_completion_at == at("2026-12-10", "18:00")

    late = decide(
        state,
        ApplyLabStatus("surfacing", date(2026, 12, 21), at("2026-12-03")),
        FLOW,
        BRANCH,
        at("2026-12-03"),
    )
    assert late.state.projected_completion_at == at("2026-12-22", "18:00")
    assert late.state.projection_reason(FLOW) == "pela previsão do laboratório de 21/12"
    replanned = late.events[-1]
    assert isinstance(replanned, Replanned)
    assert describe(replanned).summary == (
        "Conclusão prevista para 22/12/2026 (pela previsão do laboratório de 21/12)"
    )

    back = decide(
        late.state,
        ApplyLabStatus("surfacing", date(2026, 12, 7), at("2026-12-04")),
        FLOW,
        BRANCH,
        at("2026-12-04"),
    )
    assert back.state.projected_completion_at == at("2026-12-10", "18:00")
    assert back.state.projection_reason(FLOW) == "pelo prazo da etapa “Produção no laboratório”"


def test_a_lab_status_that_moves_the_order_plans_it_with_its_forecast() -> None:
    state = open_order(FLOW, BRANCH, at("2026-12-01"), None).state

    moved = decide(
        state,
        ApplyLabStatus("received", date(2026, 12, 21), at("2026-12-02")),
        FLOW,
        BRANCH,
        at("2026-12-02"),
    )

    entered = next(e for e in moved.events if isinstance(e, StageEntered))
    assert entered.projected_completion_at == at("2026-12-22", "18:00")


def test_going_back_keeps_its_reason_on_the_timeline() -> None:
    state = open_order(FLOW, BRANCH, at("2026-12-01"), None).state
    state = decide(state, Advance("ana"), FLOW, BRANCH, at("2026-12-02")).state

    back = decide(state, Back("ana", "receita conferida de novo"), FLOW, BRANCH, at("2026-12-03"))

    (entered,) = back.events
    note = describe(entered)
    assert note.summary.startswith(
        "Voltou para a etapa “Conferência”: receita conferida de novo. 1 dia útil"
    )
    assert note.detail["reason"] == "receita conferida de novo"
