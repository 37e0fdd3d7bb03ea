"""The order's state machine: ``decide(state, command, …)`` returns the new state and its events.

Rules, in plain words:

- An order is ``in_progress`` (in one of its flow's stages), ``paused`` (the clock stopped; it
  keeps its stage), ``delivered`` or ``cancelled``. Opening (:func:`start`, over
  :func:`workflow.domain.orders.open_order`) puts it straight into the first stage, version 1.
- What each status accepts is the table ``TRANSITIONS``. A command missing from it raises
  :class:`ActionRefused` with the reason in Portuguese, for the timeline ("A OS já foi entregue;
  não é possível avançar."). So do the handlers, when the status allows the command but the
  order does not (no next stage, a blank reason or note, the same assignee again, a stale lab
  report). A refused command changes nothing.
- Entering a stage (advance, back, a lab status) adds 1 to ``entry_sequence``, computes the
  stage's deadline from ``now`` in the branch calendar, and projects completion by chaining the
  remaining stages from that deadline (:func:`workflow.domain.order_state.enter_stage`).
- ``Advance`` goes to the next stage, or to a named *later* one; from the last stage it is
  refused (use ``Deliver``). ``Back`` goes to the previous stage; from the first it is refused.
- **The clock.** ``paused_at`` is when the order's clock stopped: by ``Pause``, or by entering
  a stage with ``pauses_clock`` (waiting for the customer or a frame). While it is stopped the
  stored due times hold still and their values *as of now* move later with the wall clock
  (``stage_due_as_of``, ``projected_completion_as_of``), so a waiting order is never late.
  ``Resume`` moves the stored due times later by the wall-clock time stopped (a plain
  ``timedelta``; not re-counted in business days) and reports it; in a clock-stopping stage the
  clock stays stopped after resuming. Entering another stage recomputes everything from ``now``.
  Every stop is added to ``paused_total`` when it ends.
- ``Deliver`` is accepted from the last stage, or from a stage that pauses the clock ("pronto,
  aguardando retirada"), paused or not; from any other stage it is refused: the glasses are not
  ready.
- ``Assign``, ``AddNote`` and ``Cancel`` are accepted in progress and paused. ``Reopen`` only
  when delivered or cancelled; it changes nothing in this order but asks the shell, by a
  ``ReopenRequested`` event, to create the linked remake/warranty order (ids come from the shell).
- ``ApplyLabStatus`` moves an order in progress to the first later stage whose ``lab_statuses``
  hold the status; never backwards, never while paused, and never for ``on_hold``,
  ``cancelled`` or ``remake``, which only reach the timeline. A report older than the last one
  applied is refused (queues redeliver out of order). A given ``eta`` becomes the lab forecast
  (``ForecastChanged`` when it differs); ``eta=None`` keeps the forecast.
- Every decision that is not refused adds 1 to ``version`` (optimistic concurrency).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

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
)
from workflow.domain.order_state import (
    ActionRefused,
    Decision,
    OrderState,
    State,
    enter_stage,
    restart_clock,
    start,
)

__all__ = [
    "LAB_STATUSES_THAT_NEVER_MOVE",
    "TRANSITIONS",
    "ActionRefused",
    "Decision",
    "OrderState",
    "State",
    "decide",
    "start",
]

LAB_STATUSES_THAT_NEVER_MOVE = frozenset({"on_hold", "cancelled", "remake"})


def decide(
    state: OrderState,
    command: Command,
    flow: FlowVersion,
    calendar: BranchCalendar,
    now: datetime,
) -> Decision:
    """Apply ``command`` to the order; ActionRefused when it does not apply now."""
    if flow.version != state.flow_version:
        raise ValueError(f"order runs flow version {state.flow_version}, got {flow.version}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware: {now!r}")
    handler = TRANSITIONS.get((state.status, type(command)))
    if handler is None:
        raise ActionRefused(
            f"{_STATUS_PHRASES[state.status]}; não é possível {_VERBS[type(command)]}."
        )
    decision = handler(_Context(state, flow, calendar, now), command)
    return Decision(replace(decision.state, version=state.version + 1), decision.events)


@dataclass(frozen=True, slots=True)
class _Context:
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


def _advance(ctx: _Context, command: Advance) -> Decision:
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


def _back(ctx: _Context, command: Back) -> Decision:
    _require(command.reason, "voltar etapa")
    if ctx.state.stage_position == 0:
        raise ActionRefused(
            f"A OS está na primeira etapa ({_name(ctx.stage)}); não há etapa anterior."
        )
    return _enter(ctx, ctx.state.stage_position - 1)


def _pause(ctx: _Context, command: Pause) -> Decision:
    _require(command.reason, "pausar")
    # In a stage that already stopped the clock, the stop began when the order entered it.
    stopped_at = ctx.state.paused_at or ctx.now
    state = replace(ctx.state, status=State.PAUSED, paused_at=stopped_at)
    return Decision(state, (Paused(command.actor, command.reason, ctx.now),))


def _resume(ctx: _Context, command: Resume) -> Decision:
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


def _assign(ctx: _Context, command: Assign) -> Decision:
    _require(command.assignee, "atribuir responsável", "Informe o responsável")
    if command.assignee == ctx.state.assignee:
        raise ActionRefused(f"A OS já está com {command.assignee}.")
    event = Assigned(command.actor, command.assignee, ctx.state.assignee)
    return Decision(replace(ctx.state, assignee=command.assignee), (event,))


def _add_note(ctx: _Context, command: AddNote) -> Decision:
    _require(command.text, "adicionar nota", "A nota está vazia")
    return Decision(ctx.state, (NoteAdded(command.actor, command.text),))


def _cancel(ctx: _Context, command: Cancel) -> Decision:
    _require(command.reason, "cancelar")
    state = replace(restart_clock(ctx.state, ctx.now), status=State.CANCELLED)
    return Decision(state, (Cancelled(command.actor, command.reason, ctx.now),))


def _deliver(ctx: _Context, command: Deliver) -> Decision:
    if not (ctx.is_last_stage or ctx.stage.pauses_clock):
        raise ActionRefused(
            f"A OS está na etapa {_name(ctx.stage)}; só pode ser entregue na última etapa "
            "ou numa etapa de espera pela retirada."
        )
    state = replace(restart_clock(ctx.state, ctx.now), status=State.DELIVERED)
    return Decision(state, (Delivered(command.actor, ctx.now),))


def _reopen(ctx: _Context, command: Reopen) -> Decision:
    _require(command.reason, "reabrir")
    return Decision(ctx.state, (ReopenRequested(command.actor, command.reason, ctx.now),))


def _apply_lab_status(ctx: _Context, command: ApplyLabStatus) -> Decision:
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


def _lab_target(ctx: _Context, status: str) -> int | None:
    """The first later stage a lab status moves the order to, if it moves it at all."""
    if ctx.state.status is not State.IN_PROGRESS or status in LAB_STATUSES_THAT_NEVER_MOVE:
        return None
    stages = ctx.flow.stages
    later = range(ctx.state.stage_position + 1, len(stages))
    return next((position for position in later if status in stages[position].lab_statuses), None)


def _enter(ctx: _Context, position: int) -> Decision:
    return enter_stage(ctx.state, position, ctx.flow, ctx.calendar, ctx.now)


def _require(text: str, verb: str, missing: str = "Informe o motivo") -> None:
    if not text.strip():
        raise ActionRefused(f"{missing}; não é possível {verb}.")


def _name(stage: Stage) -> str:
    return f"“{stage.name}”"


# Handlers take the command type their key names; ``Any`` because a dict cannot say so.
Handler = Callable[[_Context, Any], Decision]

TRANSITIONS: dict[tuple[State, type[Command]], Handler] = {
    (State.IN_PROGRESS, Advance): _advance,
    (State.IN_PROGRESS, Back): _back,
    (State.IN_PROGRESS, Pause): _pause,
    (State.IN_PROGRESS, Assign): _assign,
    (State.IN_PROGRESS, AddNote): _add_note,
    (State.IN_PROGRESS, Cancel): _cancel,
    (State.IN_PROGRESS, Deliver): _deliver,
    (State.IN_PROGRESS, ApplyLabStatus): _apply_lab_status,
    (State.PAUSED, Resume): _resume,
    (State.PAUSED, Assign): _assign,
    (State.PAUSED, AddNote): _add_note,
    (State.PAUSED, Cancel): _cancel,
    (State.PAUSED, Deliver): _deliver,
    (State.PAUSED, ApplyLabStatus): _apply_lab_status,
    (State.DELIVERED, Reopen): _reopen,
    (State.CANCELLED, Reopen): _reopen,
}

_STATUS_PHRASES = {
    State.IN_PROGRESS: "A OS está em andamento",
    State.PAUSED: "A OS está pausada",
    State.DELIVERED: "A OS já foi entregue",
    State.CANCELLED: "A OS foi cancelada",
}
_VERBS: dict[type[Command], str] = {
    Advance: "avançar",
    Back: "voltar etapa",
    Pause: "pausar",
    Resume: "retomar",
    Assign: "atribuir responsável",
    AddNote: "adicionar nota",
    Cancel: "cancelar",
    Deliver: "entregar",
    Reopen: "reabrir",
    ApplyLabStatus: "aplicar o status do laboratório",
}
