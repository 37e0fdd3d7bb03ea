"""An order's state in the machine, opening, and the two moves every handler shares.

- ``open_order``: an order enters the flow's first stage (entry sequence 1, version 1); the
  stage's due time and the projected completion of the whole flow are computed in the branch
  calendar from ``now``. Without a promised date from the counter, the projected completion's
  date becomes the promised date (``promised_date_proposed``). A flow with no stages takes no
  orders (:class:`EmptyFlow`).
- ``enter_stage``: entering a stage adds 1 to ``entry_sequence``, computes the stage's deadline
  from ``now`` in the branch calendar, and projects completion by chaining the remaining stages
  from that deadline (the same chaining as at opening). A stage with ``pauses_clock`` stops the
  clock on entry.
- ``restart_clock``: a stop (a pause, or a clock-stopping stage) ends, and its wall-clock length
  is added to ``paused_total`` (analytics); what it gives back to the due time is in
  :mod:`workflow.domain.order_clock` (business days, not wall-clock time).
- ``replanned``: the projected completion from the current stage's due time, or from the lab's
  forecast when the lab works on the order and is later (:mod:`workflow.domain.planning`).

The rules of which command applies when are in :mod:`workflow.domain.order_machine`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from workflow.domain.calendar import BranchCalendar
from workflow.domain.deadlines import compute_deadline, project_completion
from workflow.domain.flow import FlowVersion
from workflow.domain.order_actions import Event, PromisedBeforeProposal, StageEntered
from workflow.domain.planning import describe_plan, plan_completion

_NO_TIME = timedelta(0)


class State(StrEnum):
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({State.IN_PROGRESS, State.PAUSED})


class EmptyFlow(ValueError):
    pass


class ActionRefused(Exception):
    """The order does not accept the command now; ``reason`` says why, in Portuguese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OrderState:
    status: State
    flow_version: int
    stage_position: int
    entry_sequence: int
    stage_entered_at: datetime
    stage_due_at: datetime
    """The stage's due time, moved later by every finished stop since the stage was entered
    (by the business days whose closing time passed while it was stopped)."""
    stage_planned_due_at: datetime
    """The stage's due time as computed on entry (its time budget is this minus the entry)."""
    projected_completion_at: datetime
    promised_date: date
    promised_date_proposed: bool = False
    proposed_date: date | None = None
    """The date the flow proposed at opening (the projected completion's day)."""
    promised_before_proposal: bool = False
    """The counter promised a date earlier than the proposal."""
    assignee: str | None = None
    """Who holds the order (a name, for people)."""
    assignee_id: str | None = None
    """The user id of who holds it; None when nobody, or a name given in free text."""
    paused_at: datetime | None = None
    """When the clock stopped (a pause, or a stage that pauses the clock); None while it runs."""
    paused_total: timedelta = _NO_TIME
    """Every finished stop, added up (wall-clock time, for analytics)."""
    pause_reason: str | None = None
    """Why the order is paused, while it is (for the explanation of what the pause gave back)."""
    projected_from_lab_eta: date | None = None
    """The lab forecast the projected completion follows; None when it follows the stage."""
    lab_status: str | None = None
    lab_eta: date | None = None
    """The lab's delivery forecast, from its latest report that carried one."""
    lab_reported_at: datetime | None = None
    version: int = 1
    """Optimistic concurrency: 1 at opening, +1 per applied decision."""

    def stopped_for(self, now: datetime) -> timedelta:
        """How long the clock has been stopped, as of ``now`` (zero while it runs)."""
        return _NO_TIME if self.paused_at is None else max(now - self.paused_at, _NO_TIME)

    def projection_reason(self, flow: FlowVersion) -> str:
        """ "pela previsão do laboratório de 21/12", or "pelo prazo da etapa “Montagem”"."""
        return describe_plan(self.projected_from_lab_eta, flow.stages[self.stage_position].name)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


@dataclass(frozen=True, slots=True)
class Decision:
    state: OrderState
    events: tuple[Event, ...]


def open_order(
    flow: FlowVersion,
    calendar: BranchCalendar,
    now: datetime,
    promised_date: date | None,
    confirmed_before_proposal: bool = False,
) -> Decision:
    """Open an order into the flow's first stage (version 1).

    A promised date earlier than the proposal is kept (the customer was told it) and marked
    ``promised_before_proposal``; a ``PromisedBeforeProposal`` event says whether the counter
    confirmed it (``confirmed_before_proposal``)."""
    if not flow.stages:
        raise EmptyFlow(f"service type {flow.service_type!r} has no stages")
    projection = project_completion(
        now, [(stage.planned_days, stage.counting) for stage in flow.stages], calendar
    )
    first_deadline = projection.stage_deadlines[0]
    completion = projection.due_at
    early = promised_date is not None and promised_date < completion.date()
    state = OrderState(
        status=State.IN_PROGRESS,
        flow_version=flow.version,
        stage_position=0,
        entry_sequence=1,
        stage_entered_at=now,
        stage_due_at=first_deadline.due_at,
        stage_planned_due_at=first_deadline.due_at,
        projected_completion_at=completion,
        promised_date=promised_date or completion.date(),
        promised_date_proposed=promised_date is None,
        proposed_date=completion.date(),
        promised_before_proposal=early,
        paused_at=now if flow.stages[0].pauses_clock else None,
    )
    entered = StageEntered(
        from_stage=None,
        from_position=None,
        to_stage=flow.stages[0],
        to_position=0,
        entry_sequence=1,
        entered_at=now,
        deadline=first_deadline,
        projected_completion_at=completion,
    )
    if promised_date is None or not early:
        return Decision(state=state, events=(entered,))
    warning = PromisedBeforeProposal(promised_date, completion.date(), confirmed_before_proposal)
    return Decision(state=state, events=(entered, warning))


def enter_stage(
    state: OrderState,
    position: int,
    flow: FlowVersion,
    calendar: BranchCalendar,
    now: datetime,
    reason: str | None = None,
) -> Decision:
    """Put the order in progress in the stage at ``position``, from ``now`` (``reason``: why
    it went back)."""
    stage = flow.stages[position]
    deadline = compute_deadline(now, stage.planned_days, stage.counting, calendar)
    sequence = state.entry_sequence + 1
    entered = replanned(
        replace(
            restart_clock(state, now),
            status=State.IN_PROGRESS,
            stage_position=position,
            entry_sequence=sequence,
            stage_entered_at=now,
            stage_due_at=deadline.due_at,
            stage_planned_due_at=deadline.due_at,
            paused_at=now if stage.pauses_clock else None,
        ),
        flow,
        calendar,
    )
    completion = entered.projected_completion_at
    event = StageEntered(
        from_stage=flow.stages[state.stage_position],
        from_position=state.stage_position,
        to_stage=stage,
        to_position=position,
        entry_sequence=sequence,
        entered_at=now,
        deadline=deadline,
        projected_completion_at=completion,
        reason=reason,
    )
    return Decision(entered, (event,))


def restart_clock(state: OrderState, now: datetime) -> OrderState:
    """End the current stop, if any, adding its length to ``paused_total``."""
    return replace(
        state,
        paused_at=None,
        pause_reason=None,
        paused_total=state.paused_total + state.stopped_for(now),
    )


def replanned(state: OrderState, flow: FlowVersion, calendar: BranchCalendar) -> OrderState:
    """``state`` with its projected completion planned again from where the order is."""
    plan = plan_completion(
        flow, state.stage_position, state.stage_due_at, calendar, state.lab_status, state.lab_eta
    )
    return replace(
        state, projected_completion_at=plan.completion_at, projected_from_lab_eta=plan.lab_eta
    )
