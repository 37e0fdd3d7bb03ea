"""What each accepted (state, command) pair does; the table that picks them is in order_machine.

Every handler gets the order (``Context``) and its command, returns the new state and events,
and raises :class:`ActionRefused` when the status allows the command but the order does not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from workflow.domain.calendar import BranchCalendar
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
    Deliver,
    Delivered,
    ForecastChanged,
    LabStatusApplied,
    NoteAdded,
    Pause,
    Paused,
    Reopen,
    ReopenRequested,
    Replanned,
    Resume,
    Resumed,
)
from workflow.domain.order_clock import credited, stop_credit
from workflow.domain.order_state import (
    ActionRefused,
    Decision,
    OrderState,
    State,
    enter_stage,
    replanned,
    restart_clock,
)

LAB_STATUSES_THAT_NEVER_MOVE = frozenset({"on_hold", "cancelled", "remake"})


@dataclass(frozen=True, slots=True)
class Context:
    state: OrderState
    flow: FlowVersion
    calendar: BranchCalendar
    now: datetime

    @property
    def stage(self) -> Stage:
        return self.flow.stages[self.state.stage_position]

    @property
    def is_last_stage(self) -> bool:
        return self.state.stage_position == len(self.flow.stages) - 1


def advance(ctx: Context, command: Advance) -> Decision:
    here = ctx.state.stage_position
    if command.to_stage is None:
        if ctx.is_last_stage:
            raise ActionRefused(f"A OS está na última etapa ({_name(ctx.stage)}); use Entregar.")
        return _enter(ctx, here + 1)
    keys = [stage.key for stage in ctx.flow.stages]
    if command.to_stage not in keys:
        raise ActionRefused(
            f"A etapa “{command.to_stage}” não existe no fluxo “{ctx.flow.name}” "
            f"(versão {ctx.flow.version})."
        )
    target = keys.index(command.to_stage)
    if target <= here:
        raise ActionRefused(
            f"A etapa {_name(ctx.flow.stages[target])} não vem depois da etapa atual "
            f"{_name(ctx.stage)}; para retornar, use Voltar etapa."
        )
    return _enter(ctx, target)


def back(ctx: Context, command: Back) -> Decision:
    _require(command.reason, "voltar etapa")
    if ctx.state.stage_position == 0:
        raise ActionRefused(
            f"A OS está na primeira etapa ({_name(ctx.stage)}); não há etapa anterior."
        )
    return _enter(ctx, ctx.state.stage_position - 1, reason=command.reason.strip())


def pause(ctx: Context, command: Pause) -> Decision:
    _require(command.reason, "pausar")
    # In a stage that already stopped the clock, the stop began when the order entered it.
    stopped_at = ctx.state.paused_at or ctx.now
    state = replace(
        ctx.state, status=State.PAUSED, paused_at=stopped_at, pause_reason=command.reason.strip()
    )
    return Decision(state, (Paused(command.actor, command.reason, ctx.now),))


def resume(ctx: Context, command: Resume) -> Decision:
    stopped = ctx.state.stopped_for(ctx.now)
    credit = stop_credit(ctx.state, ctx.calendar, ctx.now)
    assert credit is not None  # a paused order's clock is stopped
    moved = credited(ctx.state, credit, ctx.flow, ctx.calendar)
    state = replace(
        restart_clock(moved, ctx.now),
        status=State.IN_PROGRESS,
        paused_at=ctx.now if ctx.stage.pauses_clock else None,
    )
    resumed = Resumed(
        command.actor, ctx.now, stopped, state.stage_due_at, state.projected_completion_at, credit
    )
    return Decision(state, (resumed,))


def assign(ctx: Context, command: Assign) -> Decision:
    _require(command.assignee, "atribuir responsável", "Informe o responsável")
    same = (
        command.assignee_id == ctx.state.assignee_id
        if command.assignee_id is not None
        else ctx.state.assignee_id is None and command.assignee == ctx.state.assignee
    )
    if same:
        raise ActionRefused(f"A OS já está com {command.assignee}.")
    event = Assigned(command.actor, command.assignee, ctx.state.assignee, command.assignee_id)
    state = replace(ctx.state, assignee=command.assignee, assignee_id=command.assignee_id)
    return Decision(state, (event,))


def add_note(ctx: Context, command: AddNote) -> Decision:
    _require(command.text, "adicionar nota", "A nota está vazia")
    return Decision(ctx.state, (NoteAdded(command.actor, command.text),))


def cancel(ctx: Context, command: Cancel) -> Decision:
    _require(command.reason, "cancelar")
    state = replace(restart_clock(ctx.state, ctx.now), status=State.CANCELLED)
    return Decision(state, (Cancelled(command.actor, command.reason, ctx.now),))


def deliver(ctx: Context, command: Deliver) -> Decision:
    if not (ctx.is_last_stage or ctx.stage.pauses_clock):
        raise ActionRefused(
            f"A OS está na etapa {_name(ctx.stage)}; só pode ser entregue na última etapa "
            "ou numa etapa de espera pela retirada."
        )
    state = replace(restart_clock(ctx.state, ctx.now), status=State.DELIVERED)
    return Decision(state, (Delivered(command.actor, ctx.now),))


def reopen(ctx: Context, command: Reopen) -> Decision:
    _require(command.reason, "reabrir")
    requested = ReopenRequested(command.actor, command.reason, ctx.now, command.kind)
    return Decision(ctx.state, (requested,))


def apply_lab_status(ctx: Context, command: ApplyLabStatus) -> Decision:
    last = ctx.state.lab_reported_at
    if last is not None and command.reported_at < last:
        raise ActionRefused(
            f"O status do laboratório “{command.status}” ({command.reported_at:%d/%m/%Y %H:%M}) "
            f"é anterior ao último recebido ({last:%d/%m/%Y %H:%M}); ignorado."
        )
    target = _lab_target(ctx, command.status)
    applied = LabStatusApplied(command.status, command.eta, command.reported_at, target is not None)
    previous_eta = ctx.state.lab_eta
    eta = previous_eta if command.eta is None else command.eta
    reported = replace(
        ctx.state, lab_status=command.status, lab_eta=eta, lab_reported_at=command.reported_at
    )
    changed = () if eta is None or eta == previous_eta else (ForecastChanged(previous_eta, eta),)
    if target is not None:
        entered = _enter(replace(ctx, state=reported), target)
        return Decision(entered.state, (applied, *entered.events, *changed))
    # The lab's report can re-plan the order without moving it (planning, rule 2).
    state = replanned(reported, ctx.flow, ctx.calendar)
    before = ctx.state.projected_completion_at
    moved = state.projected_completion_at != before or (
        state.projected_from_lab_eta != ctx.state.projected_from_lab_eta
    )
    replan = (Replanned(before, state.projected_completion_at, state.projected_from_lab_eta),)
    return Decision(state, (applied, *changed, *(replan if moved else ())))


def _lab_target(ctx: Context, status: str) -> int | None:
    """The first later stage a lab status moves the order to, if it moves it at all."""
    if ctx.state.status is not State.IN_PROGRESS or status in LAB_STATUSES_THAT_NEVER_MOVE:
        return None
    stages = ctx.flow.stages
    later = range(ctx.state.stage_position + 1, len(stages))
    return next((position for position in later if status in stages[position].lab_statuses), None)


def _enter(ctx: Context, position: int, reason: str | None = None) -> Decision:
    return enter_stage(ctx.state, position, ctx.flow, ctx.calendar, ctx.now, reason)


def _require(text: str, verb: str, missing: str = "Informe o motivo") -> None:
    if not text.strip():
        raise ActionRefused(f"{missing}; não é possível {verb}.")


def _name(stage: Stage) -> str:
    return f"“{stage.name}”"
