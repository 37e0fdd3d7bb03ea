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
    Resume,
    Resumed,
)
from workflow.domain.order_state import (
    ActionRefused,
    Decision,
    OrderState,
    State,
    enter_stage,
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
    return _enter(ctx, ctx.state.stage_position - 1)


def pause(ctx: Context, command: Pause) -> Decision:
    _require(command.reason, "pausar")
    # In a stage that already stopped the clock, the stop began when the order entered it.
    stopped_at = ctx.state.paused_at or ctx.now
    state = replace(ctx.state, status=State.PAUSED, paused_at=stopped_at)
    return Decision(state, (Paused(command.actor, command.reason, ctx.now),))


def resume(ctx: Context, command: Resume) -> Decision:
    stopped = ctx.state.stopped_for(ctx.now)
    state = replace(
        restart_clock(ctx.state, ctx.now),
        status=State.IN_PROGRESS,
        stage_due_at=ctx.state.stage_due_at + stopped,
        projected_completion_at=ctx.state.projected_completion_at + stopped,
        paused_at=ctx.now if ctx.stage.pauses_clock else None,
    )
    resumed = Resumed(
        command.actor, ctx.now, stopped, state.stage_due_at, state.projected_completion_at
    )
    return Decision(state, (resumed,))


def assign(ctx: Context, command: Assign) -> Decision:
    _require(command.assignee, "atribuir responsável", "Informe o responsável")
    if command.assignee == ctx.state.assignee:
        raise ActionRefused(f"A OS já está com {command.assignee}.")
    event = Assigned(command.actor, command.assignee, ctx.state.assignee)
    return Decision(replace(ctx.state, assignee=command.assignee), (event,))


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
    entered = _enter(ctx, target) if target is not None else Decision(ctx.state, ())
    previous_eta = ctx.state.lab_eta
    eta = previous_eta if command.eta is None else command.eta
    state = replace(
        entered.state, lab_status=command.status, lab_eta=eta, lab_reported_at=command.reported_at
    )
    changed = () if eta is None or eta == previous_eta else (ForecastChanged(previous_eta, eta),)
    return Decision(state, (applied, *entered.events, *changed))


def _lab_target(ctx: Context, status: str) -> int | None:
    """The first later stage a lab status moves the order to, if it moves it at all."""
    if ctx.state.status is not State.IN_PROGRESS or status in LAB_STATUSES_THAT_NEVER_MOVE:
        return None
    stages = ctx.flow.stages
    later = range(ctx.state.stage_position + 1, len(stages))
    return next((position for position in later if status in stages[position].lab_statuses), None)


def _enter(ctx: Context, position: int) -> Decision:
    return enter_stage(ctx.state, position, ctx.flow, ctx.calendar, ctx.now)


def _require(text: str, verb: str, missing: str = "Informe o motivo") -> None:
    if not text.strip():
        raise ActionRefused(f"{missing}; não é possível {verb}.")


def _name(stage: Stage) -> str:
    return f"“{stage.name}”"
