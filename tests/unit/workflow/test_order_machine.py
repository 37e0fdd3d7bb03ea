"""The order state machine (see workflow.domain.order_machine): its table, its rules, its laws."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import product
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.deadlines import compute_deadline
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.order_actions import (
    AddNote,
    Advance,
    ApplyLabStatus,
    Assign,
    Assigned,
    Back,
    Cancel,
    Cancelled,
    Command,
    Deliver,
    Delivered,
    ForecastChanged,
    LabStatusApplied,
    NoteAdded,
    Pause,
    Paused,
    Reopen,
    ReopenRequested,
    Resume,
    Resumed,
    StageEntered,
)
from workflow.domain.order_clock import as_of
from workflow.domain.order_machine import (
    TRANSITIONS,
    ActionRefused,
    Decision,
    OrderState,
    State,
    decide,
    open_order,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
BRANCH = BranchCalendar(timezone="America/Sao_Paulo", closed_days={})
BUSINESS = DayCounting.BUSINESS
CALENDAR = DayCounting.CALENDAR

FLOW = FlowVersion(
    service_type="venda_lentes",
    name="Venda de lentes",
    version=3,
    stages=(
        Stage("recebida", "Recebida", 0, BUSINESS, lab_statuses=("received",)),
        Stage("surfacagem", "Surfaçagem", 2, BUSINESS, lab_statuses=("surfacing", "coating")),
        Stage("montagem", "Montagem", 1, BUSINESS, lab_statuses=("edging",)),
        Stage("pronto", "Pronto para retirada", 0, CALENDAR, pauses_clock=True),
        Stage("entrega", "Entrega ao cliente", 0, CALENDAR, lab_statuses=("shipped",)),
    ),
)
RECEBIDA, SURFACAGEM, MONTAGEM, PRONTO, ENTREGA = range(5)
OPENED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=SAO_PAULO)  # a Monday


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SAO_PAULO)


def opened() -> OrderState:
    return open_order(FLOW, BRANCH, OPENED_AT, None).state


def apply(state: OrderState, command: Command, now: datetime) -> Decision:
    return decide(state, command, FLOW, BRANCH, now)


def in_stage(position: int, now: datetime = OPENED_AT) -> OrderState:
    """An order in progress that advanced from the first stage straight to ``position``."""
    state = opened()
    if position:
        state = apply(state, Advance("ana", FLOW.stages[position].key), now).state
    return state


def order_in(status: State) -> OrderState:
    """An order in ``status``, sitting in "Pronto para retirada" (not last, pauses the clock)."""
    state = in_stage(PRONTO)
    follow_up: dict[State, Command] = {
        State.PAUSED: Pause("ana", "cliente viajando"),
        State.DELIVERED: Deliver("ana"),
        State.CANCELLED: Cancel("ana", "cliente desistiu"),
    }
    if status in follow_up:
        state = apply(state, follow_up[status], OPENED_AT).state
    assert state.status is status
    return state


# --- the table: every (state, command type) pair is decided ------------------------------------

LATER = OPENED_AT + timedelta(days=1)
SAMPLE_COMMANDS: dict[type[Command], Command] = {
    Advance: Advance("ana"),
    Back: Back("ana", "lente riscada"),
    Pause: Pause("ana", "aguardando armação"),
    Resume: Resume("ana"),
    Assign: Assign("ana", "bruno"),
    AddNote: AddNote("ana", "cliente ligou"),
    Cancel: Cancel("ana", "cliente desistiu"),
    Deliver: Deliver("ana"),
    Reopen: Reopen("ana", "garantia: lente descolando"),
    ApplyLabStatus: ApplyLabStatus("shipped", date(2026, 3, 10), LATER),
}
FIRST_EVENT = {
    Advance: StageEntered,
    Back: StageEntered,
    Pause: Paused,
    Resume: Resumed,
    Assign: Assigned,
    AddNote: NoteAdded,
    Cancel: Cancelled,
    Deliver: Delivered,
    Reopen: ReopenRequested,
    ApplyLabStatus: LabStatusApplied,
}
REFUSED = None
IN_PROGRESS, PAUSED, DELIVERED, CANCELLED = State
# What each pair does to the representative order of order_in(): the resulting status, or REFUSED.
EXPECTED: dict[tuple[State, type[Command]], State | None] = {
    (IN_PROGRESS, Advance): IN_PROGRESS,
    (IN_PROGRESS, Back): IN_PROGRESS,
    (IN_PROGRESS, Pause): PAUSED,
    (IN_PROGRESS, Resume): REFUSED,
    (IN_PROGRESS, Assign): IN_PROGRESS,
    (IN_PROGRESS, AddNote): IN_PROGRESS,
    (IN_PROGRESS, Cancel): CANCELLED,
    (IN_PROGRESS, Deliver): DELIVERED,
    (IN_PROGRESS, Reopen): REFUSED,
    (IN_PROGRESS, ApplyLabStatus): IN_PROGRESS,
    (PAUSED, Advance): REFUSED,
    (PAUSED, Back): REFUSED,
    (PAUSED, Pause): REFUSED,
    (PAUSED, Resume): IN_PROGRESS,
    (PAUSED, Assign): PAUSED,
    (PAUSED, AddNote): PAUSED,
    (PAUSED, Cancel): CANCELLED,
    (PAUSED, Deliver): DELIVERED,
    (PAUSED, Reopen): REFUSED,
    (PAUSED, ApplyLabStatus): PAUSED,
    **{(DELIVERED, kind): REFUSED for kind in SAMPLE_COMMANDS},
    (DELIVERED, Reopen): DELIVERED,
    **{(CANCELLED, kind): REFUSED for kind in SAMPLE_COMMANDS},
    (CANCELLED, Reopen): CANCELLED,
}
EVERY_PAIR = list(product(State, get_args(Command)))


@pytest.mark.parametrize(
    ("status", "kind"), EVERY_PAIR, ids=[f"{s}-{k.__name__}" for s, k in EVERY_PAIR]
)
def test_every_state_decides_every_command(status: State, kind: type[Command]) -> None:
    assert (status, kind) in EXPECTED, "a new state or command needs a documented decision"
    state = order_in(status)
    expected = EXPECTED[(status, kind)]

    if expected is REFUSED:
        with pytest.raises(ActionRefused) as refused:
            apply(state, SAMPLE_COMMANDS[kind], LATER)
        assert "não é possível" in refused.value.reason
        return
    decision = apply(state, SAMPLE_COMMANDS[kind], LATER)
    assert decision.state.status is expected
    assert decision.state.version == state.version + 1
    assert isinstance(decision.events[0], FIRST_EVENT[kind])


def test_the_table_holds_exactly_the_pairs_that_are_not_refused() -> None:
    allowed = {pair for pair, outcome in EXPECTED.items() if outcome is not REFUSED}
    assert set(TRANSITIONS) == allowed


def test_a_refusal_says_why_in_portuguese() -> None:
    with pytest.raises(ActionRefused, match=r"^A OS já foi entregue; não é possível avançar\.$"):
        apply(order_in(DELIVERED), Advance("ana"), LATER)


# --- stages -------------------------------------------------------------------------------------


def test_opening_enters_the_first_stage_at_version_one_with_its_planned_due_time() -> None:
    decision = open_order(FLOW, BRANCH, OPENED_AT, None)

    state = decision.state
    assert (state.version, state.entry_sequence, state.stage_position) == (1, 1, RECEBIDA)
    assert state.stage_due_at == state.stage_planned_due_at == at("2026-03-02", "18:00")
    (entered,) = decision.events
    assert isinstance(entered, StageEntered)
    assert entered.from_stage is None


def test_advancing_enters_the_next_stage_with_the_next_entry_sequence_and_a_deadline_from_now() -> (
    None
):
    now = at("2026-03-03")  # Tuesday

    decision = apply(opened(), Advance("ana"), now)

    state = decision.state
    assert (state.stage_position, state.entry_sequence) == (SURFACAGEM, 2)
    assert state.stage_entered_at == now
    assert state.stage_due_at == at("2026-03-05", "18:00")  # 2 business days: Wed, Thu
    # Montagem 1 business day (Fri), then two zero-day stages due the same evening.
    assert state.projected_completion_at == at("2026-03-06", "18:00")
    (entered,) = decision.events
    assert isinstance(entered, StageEntered)
    assert (entered.from_position, entered.to_position, entered.entry_sequence) == (0, 1, 2)
    assert entered.deadline == compute_deadline(now, 2, BUSINESS, BRANCH)


def test_advancing_to_a_named_later_stage_skips_the_stages_between() -> None:
    state = apply(opened(), Advance("ana", "montagem"), at("2026-03-03")).state

    assert (state.stage_position, state.entry_sequence) == (MONTAGEM, 2)
    assert state.stage_due_at == at("2026-03-04", "18:00")


@pytest.mark.parametrize(
    ("to_stage", "named"),
    [("surfacagem", "“Surfaçagem”"), ("montagem", "“Montagem”"), ("polimento", "“polimento”")],
)
def test_advancing_to_the_current_an_earlier_or_an_unknown_stage_is_refused_naming_it(
    to_stage: str, named: str
) -> None:
    with pytest.raises(ActionRefused, match=named):
        apply(in_stage(MONTAGEM), Advance("ana", to_stage), LATER)


def test_advancing_from_the_last_stage_is_refused_in_favour_of_delivering() -> None:
    with pytest.raises(ActionRefused, match=r"última etapa .*Entregar"):
        apply(in_stage(ENTREGA), Advance("ana"), LATER)


def test_going_back_re_enters_the_previous_stage_with_a_new_deadline() -> None:
    now = at("2026-03-04")  # Wednesday
    decision = apply(in_stage(MONTAGEM), Back("ana", "lente riscada"), now)

    state = decision.state
    assert (state.stage_position, state.entry_sequence) == (SURFACAGEM, 3)
    assert state.stage_due_at == at("2026-03-06", "18:00")
    (entered,) = decision.events
    assert isinstance(entered, StageEntered)
    assert (entered.from_position, entered.to_position) == (MONTAGEM, SURFACAGEM)


def test_going_back_from_the_first_stage_is_refused() -> None:
    with pytest.raises(ActionRefused, match="primeira etapa"):
        apply(opened(), Back("ana", "engano"), LATER)


# --- the clock ----------------------------------------------------------------------------------


def test_pausing_two_days_then_resuming_gives_back_the_two_business_days_it_took() -> None:
    before = in_stage(SURFACAGEM)  # Monday 02/03 10:00, 2 business days: due Wed 04/03 18:00
    paused = apply(before, Pause("ana", "aguardando armação"), at("2026-03-02", "11:00")).state

    decision = apply(paused, Resume("ana"), at("2026-03-04", "11:00"))

    state = decision.state
    assert state.status is IN_PROGRESS
    assert state.stage_due_at == at("2026-03-06", "18:00")  # Mon and Tue closings passed
    # Montagem (1 business day) is chained again from the new due time: Monday 09/03.
    assert state.projected_completion_at == at("2026-03-09", "18:00")
    assert (state.paused_at, state.paused_total) == (None, timedelta(days=2))
    (resumed,) = decision.events
    assert isinstance(resumed, Resumed)
    assert (resumed.paused_for, resumed.stage_due_at) == (timedelta(days=2), state.stage_due_at)
    assert resumed.credit.describe() == (
        "+2 dias úteis pela pausa de 02/03 11:00 a 04/03 11:00 (aguardando armação)"
    )


def test_the_issues_pause_from_wednesday_to_friday_lands_on_tuesday_at_closing_time() -> None:
    # Entered Wednesday 04/03 10:00 into a 2-business-day stage: due Friday 06/03 18:00.
    state = in_stage(SURFACAGEM, at("2026-03-04", "10:00"))
    assert state.stage_due_at == at("2026-03-06", "18:00")
    paused = apply(state, Pause("ana", "aguardando armação"), at("2026-03-04", "11:00")).state

    resumed = apply(paused, Resume("ana"), at("2026-03-06", "11:00")).state

    assert resumed.stage_due_at == at("2026-03-10", "18:00")  # not Sunday 18:00


def test_a_pause_made_and_ended_while_the_shop_is_closed_moves_nothing() -> None:
    state = in_stage(SURFACAGEM, at("2026-03-04", "10:00"))
    paused = apply(state, Pause("ana", "cliente ligou"), at("2026-03-04", "19:00")).state

    resumed = apply(paused, Resume("ana"), at("2026-03-05", "07:30")).state

    assert resumed.stage_due_at == state.stage_due_at
    assert resumed.projected_completion_at == state.projected_completion_at


def test_while_paused_the_due_time_as_of_now_moves_at_each_closing_time() -> None:
    paused = apply(in_stage(SURFACAGEM), Pause("ana", "aguardando armação"), OPENED_AT).state

    def due_at(now: datetime) -> datetime:
        return as_of(paused, FLOW, BRANCH, now).stage_due_at

    assert due_at(at("2026-03-02", "17:59")) == paused.stage_due_at
    assert due_at(at("2026-03-02", "18:00")) == at("2026-03-05", "18:00")
    assert due_at(at("2026-03-05", "10:00")) == at("2026-03-09", "18:00")  # 3 closings


def test_a_stage_that_pauses_the_clock_counts_its_stay_as_stopped_time() -> None:
    ready = in_stage(PRONTO)
    assert ready.paused_at == OPENED_AT
    week_later = OPENED_AT + timedelta(days=7)
    # Five business closings passed (Mon 02/03 to Fri 06/03): the projection moved 5 days.
    assert as_of(ready, FLOW, BRANCH, week_later).projected_completion_at == at(
        "2026-03-09", "18:00"
    )

    moved_on = apply(ready, Advance("ana"), week_later).state

    assert (moved_on.paused_at, moved_on.paused_total) == (None, timedelta(days=7))


def test_resuming_in_a_stage_that_pauses_the_clock_keeps_the_clock_stopped() -> None:
    paused = apply(in_stage(PRONTO), Pause("ana", "cliente viajando"), LATER).state
    resumed_at = OPENED_AT + timedelta(days=2)

    state = apply(paused, Resume("ana"), resumed_at).state

    assert state.paused_at == resumed_at
    assert state.paused_total == timedelta(days=2)  # the stop began on entering the stage


# --- delivering, cancelling, reopening, people --------------------------------------------------


def test_delivering_is_refused_before_the_glasses_are_ready() -> None:
    with pytest.raises(ActionRefused, match="“Surfaçagem”"):
        apply(in_stage(SURFACAGEM), Deliver("ana"), LATER)


@pytest.mark.parametrize("position", [PRONTO, ENTREGA])
def test_delivering_is_accepted_from_the_last_stage_or_a_waiting_stage(position: int) -> None:
    state = apply(in_stage(position), Deliver("ana"), LATER).state

    assert (state.status, state.paused_at) == (DELIVERED, None)


def test_reopening_a_delivered_order_asks_for_a_linked_remake_and_keeps_it_delivered() -> None:
    delivered = order_in(DELIVERED)

    decision = apply(delivered, Reopen("ana", "garantia: lente descolando", "warranty"), LATER)

    assert decision.events == (
        ReopenRequested("ana", "garantia: lente descolando", LATER, "warranty"),
    )
    assert decision.state == replace(delivered, version=delivered.version + 1)


def test_assigning_records_who_had_the_order_before() -> None:
    first = apply(opened(), Assign("ana", "bruno"), LATER)
    second = apply(first.state, Assign("ana", "carla"), LATER)

    assert second.state.assignee == "carla"
    assert second.events == (Assigned("ana", "carla", "bruno"),)


@pytest.mark.parametrize(
    "command",
    [
        Assign("ana", "   "),
        AddNote("ana", ""),
        Back("ana", " "),
        Pause("ana", ""),
        Cancel("ana", ""),
    ],
)
def test_a_blank_reason_note_or_assignee_is_refused(command: Command) -> None:
    with pytest.raises(ActionRefused, match=r"^(Informe|A nota está vazia)"):
        apply(in_stage(MONTAGEM), command, LATER)


def test_assigning_the_same_person_again_is_refused() -> None:
    assigned = apply(opened(), Assign("ana", "bruno"), LATER).state

    with pytest.raises(ActionRefused, match="já está com bruno"):
        apply(assigned, Assign("ana", "bruno"), LATER)


def test_a_flow_version_other_than_the_orders_is_a_programming_error() -> None:
    other = replace(FLOW, version=4)

    with pytest.raises(ValueError, match="flow version"):
        decide(opened(), Advance("ana"), other, BRANCH, LATER)


# --- labs ---------------------------------------------------------------------------------------


def test_a_lab_status_mapped_to_a_later_stage_moves_the_order_there() -> None:
    decision = apply(opened(), ApplyLabStatus("edging", None, LATER), LATER)

    assert (decision.state.stage_position, decision.state.entry_sequence) == (MONTAGEM, 2)
    applied, entered = decision.events
    assert applied == LabStatusApplied("edging", None, LATER, moved=True)
    assert isinstance(entered, StageEntered)
    assert entered.to_position == MONTAGEM


@pytest.mark.parametrize("status", ["surfacing", "received", "edging", "desconhecido"])
def test_an_earlier_current_or_unknown_lab_status_never_moves_the_order_backwards(
    status: str,
) -> None:
    before = in_stage(MONTAGEM)

    decision = apply(before, ApplyLabStatus(status, None, LATER), LATER)

    assert decision.state.stage_position == MONTAGEM
    assert decision.state.entry_sequence == before.entry_sequence
    assert decision.events == (LabStatusApplied(status, None, LATER, moved=False),)


def test_a_lab_report_older_than_the_last_one_applied_is_refused() -> None:
    reported = apply(opened(), ApplyLabStatus("surfacing", None, LATER), LATER).state

    with pytest.raises(ActionRefused, match="anterior ao último recebido"):
        apply(reported, ApplyLabStatus("edging", None, LATER - timedelta(hours=1)), LATER)


@pytest.mark.parametrize("status", ["on_hold", "cancelled", "remake"])
def test_on_hold_cancelled_and_remake_lab_statuses_only_reach_the_timeline(status: str) -> None:
    # Even a flow that (wrongly) maps the status to a stage does not move the order.
    stages = list(FLOW.stages)
    stages[MONTAGEM] = replace(stages[MONTAGEM], lab_statuses=(status,))
    flow = replace(FLOW, stages=tuple(stages))
    before = open_order(flow, BRANCH, OPENED_AT, None).state

    decision = decide(before, ApplyLabStatus(status, None, LATER), flow, BRANCH, LATER)

    assert decision.state.stage_position == RECEBIDA
    assert decision.events == (LabStatusApplied(status, None, LATER, moved=False),)


def test_the_lab_eta_updates_the_forecast_and_a_report_without_one_keeps_it() -> None:
    first = apply(opened(), ApplyLabStatus("surfacing", date(2026, 3, 9), LATER), LATER)
    again = apply(first.state, ApplyLabStatus("coating", date(2026, 3, 9), LATER), LATER)
    slipped = apply(again.state, ApplyLabStatus("coating", date(2026, 3, 12), LATER), LATER)
    silent = apply(slipped.state, ApplyLabStatus("coating", None, LATER), LATER)

    assert first.events[-1] == ForecastChanged(None, date(2026, 3, 9))
    assert not any(isinstance(event, ForecastChanged) for event in again.events)
    assert slipped.events[1] == ForecastChanged(date(2026, 3, 9), date(2026, 3, 12))
    assert silent.state.lab_eta == date(2026, 3, 12)
    assert len(silent.events) == 1


def test_a_lab_status_while_paused_updates_the_forecast_but_leaves_the_stage() -> None:
    paused = apply(opened(), Pause("ana", "aguardando armação"), OPENED_AT).state

    decision = apply(paused, ApplyLabStatus("edging", date(2026, 3, 9), LATER), LATER)

    assert (decision.state.status, decision.state.stage_position) == (PAUSED, RECEBIDA)
    assert decision.state.lab_eta == date(2026, 3, 9)


# --- laws ---------------------------------------------------------------------------------------

actors = st.sampled_from(["ana", "bruno", "carla"])
texts = st.sampled_from(["lente riscada", "aguardando armação", "cliente ligou", ""])
keys = st.sampled_from([None, *(stage.key for stage in FLOW.stages), "inexistente"])
lab_statuses = st.sampled_from(
    ["desconhecido", "on_hold", "cancelled", "remake", "received", "surfacing", "edging", "shipped"]
)
etas = st.none() | st.dates(date(2026, 3, 1), date(2026, 6, 30))
COMMAND_STRATEGIES: dict[type[Command], st.SearchStrategy[Command]] = {
    Advance: st.builds(Advance, actors, keys),
    Back: st.builds(Back, actors, texts),
    Pause: st.builds(Pause, actors, texts),
    Resume: st.builds(Resume, actors),
    Assign: st.builds(Assign, actors, st.sampled_from(["", "bruno", "carla"])),
    AddNote: st.builds(AddNote, actors, texts),
    Cancel: st.builds(Cancel, actors, texts),
    Deliver: st.builds(Deliver, actors),
    Reopen: st.builds(Reopen, actors, texts),
    # reported_at is filled in below, relative to the step's now (sometimes stale).
    ApplyLabStatus: st.builds(ApplyLabStatus, lab_statuses, etas, st.just(OPENED_AT)),
}
# Hypothesis favours the first alternatives; Cancel comes last so that sequences go further.
commands = st.one_of(
    *(COMMAND_STRATEGIES[kind] for kind in (Advance, Back, Resume, Deliver, Reopen, Pause)),
    *COMMAND_STRATEGIES.values(),
)
steps = st.lists(
    st.tuples(
        commands,
        st.timedeltas(timedelta(0), timedelta(days=4)),
        st.timedeltas(timedelta(0), timedelta(days=2)),
    ),
    max_size=60,
)


def test_the_law_draws_every_command_type() -> None:
    assert set(COMMAND_STRATEGIES) == set(get_args(Command))


@settings(max_examples=200, deadline=None)
@given(steps)
def test_any_sequence_of_commands_only_refuses_and_counts_every_applied_one(
    sequence: list[tuple[Command, timedelta, timedelta]],
) -> None:
    state = opened()
    now = OPENED_AT
    reasons: list[str] = []
    for command, step, report_age in sequence:
        now += step
        if isinstance(command, ApplyLabStatus):
            command = replace(command, reported_at=now - report_age)
        try:
            decision = apply(state, command, now)
        except ActionRefused as refused:
            reasons.append(refused.reason)
            continue
        assert decision.state.version == state.version + 1
        assert decision.state.entry_sequence >= state.entry_sequence
        assert decision.state.paused_total >= state.paused_total
        assert decision.events
        state = decision.state
    assert all(reason.strip() for reason in reasons)
