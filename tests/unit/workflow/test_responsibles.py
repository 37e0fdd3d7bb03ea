"""A responsible person for every step (workflow.domain.responsibles): entering a stage that
names a person in the branch assigns the order to them; entering one that names nobody keeps
whoever holds it; a person can take the order in between."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.order_actions import (
    Advance,
    ApplyLabStatus,
    Assign,
    Assigned,
    Back,
    Pause,
    Resume,
    StageEntered,
)
from workflow.domain.order_machine import ActionRefused, decide, open_order
from workflow.domain.order_state import Decision
from workflow.domain.order_texts import describe
from workflow.domain.responsibles import NOBODY, Person, assign_on_entry

SP = ZoneInfo("America/Sao_Paulo")
BRANCH = BranchCalendar(timezone="America/Sao_Paulo", closed_days={})
B = DayCounting.BUSINESS
FLOW = FlowVersion(
    "oculos",
    "Óculos de grau",
    1,
    (
        Stage("conferencia", "Conferência", 1, B, responsible_role="attendant"),
        Stage("laboratorio", "Laboratório", 3, B, lab_statuses=("surfacing",)),
        Stage(
            "montagem", "Montagem", 1, B, responsible_role="technician", lab_statuses=("edging",)
        ),
        Stage("pronto", "Pronto", 0, B, pauses_clock=True),
    ),
)
ANA = Person("11111111-1111-1111-1111-111111111111", "Ana Atendente")
CARLOS = Person("22222222-2222-2222-2222-222222222222", "Carlos Montador")
DEFAULTS = {"conferencia": ANA, "montagem": CARLOS}
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SP)  # a Monday


def opened(defaults: dict[str, Person] = DEFAULTS) -> Decision:
    return assign_on_entry(open_order(FLOW, BRANCH, T0, None), defaults)


def act(decision: Decision, command: object, hours: int = 1) -> Decision:
    now = decision.state.stage_entered_at.replace(hour=10 + hours)
    return assign_on_entry(decide(decision.state, command, FLOW, BRANCH, now), DEFAULTS)  # type: ignore[arg-type]


def test_opening_assigns_the_first_stages_person_right_after_the_entry() -> None:
    decision = opened()
    assert (decision.state.assignee, decision.state.assignee_id) == (ANA.name, ANA.user_id)
    entered, assigned = decision.events
    assert isinstance(entered, StageEntered)
    assert assigned == Assigned("sistema", ANA.name, None, ANA.user_id, "Conferência")


def test_the_timeline_says_who_and_why() -> None:
    note = describe(Assigned("sistema", "Fulana", None, "u1", "Montagem"))
    assert note.summary == "Atribuída a Fulana (responsável pela etapa “Montagem”)"
    assert note.detail == {"assignee": "Fulana", "assignee_id": "u1", "stage": "Montagem"}
    by_hand = describe(Assigned("Bruno", "Fulana", "Ana", "u1"))
    assert by_hand.summary == "Atribuída a Fulana (antes: Ana)"
    assert by_hand.actor == "Bruno"


def test_a_stage_that_names_nobody_keeps_who_holds_the_order() -> None:
    in_lab = act(opened(), Advance("Ana"))
    assert in_lab.state.stage_position == 1
    assert in_lab.state.assignee_id == ANA.user_id
    assert not any(isinstance(e, Assigned) for e in in_lab.events)


def test_entering_montagem_hands_the_order_to_its_person_even_by_a_lab_status() -> None:
    in_lab = act(opened(), Advance("Ana"))
    assembled = act(in_lab, ApplyLabStatus("edging", None, in_lab.state.stage_entered_at))
    assert assembled.state.stage_position == 2
    assert assembled.state.assignee == CARLOS.name
    assert assembled.events[-1] == Assigned(
        "sistema", CARLOS.name, ANA.name, CARLOS.user_id, "Montagem"
    )


def test_a_person_takes_the_order_and_keeps_it_until_a_stage_names_someone() -> None:
    in_lab = act(opened(), Advance("Ana"))
    taken = act(in_lab, Assign("Bruno", "Bruno Técnico", "33333333-3333-3333-3333-333333333333"))
    assert taken.state.assignee == "Bruno Técnico"
    paused = act(taken, Pause("Bruno", "aguardando armação"))
    resumed = act(paused, Resume("Bruno"), hours=3)
    assert resumed.state.assignee == "Bruno Técnico"  # a resume enters no stage
    assembled = act(resumed, Advance("Bruno"), hours=4)
    assert assembled.state.assignee_id == CARLOS.user_id


def test_going_back_to_a_stage_gives_it_back_to_that_stages_person() -> None:
    assembled = act(act(opened(), Advance("Ana")), Advance("Ana"))
    back = act(act(assembled, Advance("Carlos")), Back("Carlos", "lente riscada"))
    assert back.state.stage_position == 2
    assert back.state.assignee_id == CARLOS.user_id
    assert not any(isinstance(e, Assigned) for e in back.events)  # Carlos held it already


def test_without_defaults_nothing_is_assigned() -> None:
    decision = opened(dict(NOBODY))
    assert decision.state.assignee is None
    assert len(decision.events) == 1


def test_assigning_the_same_person_again_is_refused_by_id_not_by_name() -> None:
    decision = opened()
    namesake = act(decision, Assign("x", ANA.name, "44444444-4444-4444-4444-444444444444"))
    assert namesake.state.assignee_id == "44444444-4444-4444-4444-444444444444"
    with pytest.raises(ActionRefused, match="já está com"):
        act(decision, Assign("x", "Ana", ANA.user_id))


@given(st.lists(st.sampled_from(["advance", "back", "assign"]), max_size=12))
def test_the_holder_is_always_the_person_of_the_last_stage_that_names_one_or_a_later_pick(
    moves: list[str],
) -> None:
    decision = opened()
    expected = ANA.user_id
    for i, move in enumerate(moves):
        position = decision.state.stage_position
        if move == "advance" and position < 2:
            decision = act(decision, Advance("x"), hours=i % 8)
            stage = FLOW.stages[decision.state.stage_position]
            expected = DEFAULTS[stage.key].user_id if stage.key in DEFAULTS else expected
        elif move == "back" and position > 0:
            decision = act(decision, Back("x", "refazer"), hours=i % 8)
            stage = FLOW.stages[decision.state.stage_position]
            expected = DEFAULTS[stage.key].user_id if stage.key in DEFAULTS else expected
        elif move == "assign" and decision.state.assignee_id != f"pick-{i}":
            decision = act(decision, Assign("x", f"Pessoa {i}", f"pick-{i}"), hours=i % 8)
            expected = f"pick-{i}"
        assert decision.state.assignee_id == expected
