"""The order's state machine: ``decide(state, command, …)`` returns the new state and its events.

Rules, in plain words:

- An order is ``in_progress`` (in one of its flow's stages), ``paused`` (the clock stopped; it
  keeps its stage), ``delivered`` or ``cancelled``. Opening
  (:func:`workflow.domain.order_state.open_order`) puts it into the first stage, version 1.
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
from dataclasses import replace
from datetime import datetime
from typing import Any

from workflow.domain import order_handlers as h
from workflow.domain.calendar import BranchCalendar
from workflow.domain.flow import FlowVersion
from workflow.domain.order_actions import (
    AddNote,
    Advance,
    ApplyLabStatus,
    Assign,
    Back,
    Cancel,
    Command,
    Deliver,
    Pause,
    Reopen,
    Resume,
)
from workflow.domain.order_handlers import LAB_STATUSES_THAT_NEVER_MOVE
from workflow.domain.order_state import ActionRefused, Decision, OrderState, State, open_order

__all__ = [
    "LAB_STATUSES_THAT_NEVER_MOVE",
    "TRANSITIONS",
    "ActionRefused",
    "Decision",
    "OrderState",
    "State",
    "decide",
    "open_order",
]


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
            f"{_STATUS_PHRASES[state.status]}; não é possível {VERBS[type(command)]}."
        )
    decision = handler(h.Context(state, flow, calendar, now), command)
    return Decision(replace(decision.state, version=state.version + 1), decision.events)


# Handlers take the command type their key names; ``Any`` because a dict cannot say so.
Handler = Callable[[h.Context, Any], Decision]

TRANSITIONS: dict[tuple[State, type[Command]], Handler] = {
    (State.IN_PROGRESS, Advance): h.advance,
    (State.IN_PROGRESS, Back): h.back,
    (State.IN_PROGRESS, Pause): h.pause,
    (State.IN_PROGRESS, Assign): h.assign,
    (State.IN_PROGRESS, AddNote): h.add_note,
    (State.IN_PROGRESS, Cancel): h.cancel,
    (State.IN_PROGRESS, Deliver): h.deliver,
    (State.IN_PROGRESS, ApplyLabStatus): h.apply_lab_status,
    (State.PAUSED, Resume): h.resume,
    (State.PAUSED, Assign): h.assign,
    (State.PAUSED, AddNote): h.add_note,
    (State.PAUSED, Cancel): h.cancel,
    (State.PAUSED, Deliver): h.deliver,
    (State.PAUSED, ApplyLabStatus): h.apply_lab_status,
    (State.DELIVERED, Reopen): h.reopen,
    (State.CANCELLED, Reopen): h.reopen,
}

_STATUS_PHRASES = {
    State.IN_PROGRESS: "A OS está em andamento",
    State.PAUSED: "A OS está pausada",
    State.DELIVERED: "A OS já foi entregue",
    State.CANCELLED: "A OS foi cancelada",
}
VERBS: dict[type[Command], str] = {
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
