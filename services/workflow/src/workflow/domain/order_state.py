"""An order's state in the machine, and the two moves every handler shares.

- ``enter_stage``: entering a stage adds 1 to ``entry_sequence``, computes the stage's deadline
  from ``now`` in the branch calendar, and projects completion by chaining the remaining stages
  from that deadline (the same chaining as at opening). A stage with ``pauses_clock`` stops the
  clock on entry.
- ``restart_clock``: a stop (a pause, or a clock-stopping stage) ends, and its wall-clock length
  is added to ``paused_total``.

The rules of which command applies when are in :mod:`workflow.domain.order_machine`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from workflow.domain.calendar import BranchCalendar
from workflow.domain.deadlines import compute_deadline, project_completion
from workflow.domain.flow import FlowVersion
from workflow.domain.order_actions import Event
from workflow.domain.orders import StageEntered, open_order

_NO_TIME = timedelta(0)


class State(StrEnum):
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


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
    projected_completion_at: datetime
    promised_date: date
    promised_date_proposed: bool = False
    assignee: str | None = None
    paused_at: datetime | None = None
    """When the clock stopped (a pause, or a stage that pauses the clock); None while it runs."""
    paused_total: timedelta = _NO_TIME
    """Every finished stop, added up."""
    lab_status: str | None = None
    lab_eta: date | None = None
    """The lab's delivery forecast, from its latest report that carried one."""
    lab_reported_at: datetime | None = None
    version: int = 1
    """Optimistic concurrency: 1 at opening, +1 per applied decision."""

    def stopped_for(self, now: datetime) -> timedelta:
        """How long the clock has been stopped, as of ``now`` (zero while it runs)."""
        return _NO_TIME if self.paused_at is None else max(now - self.paused_at, _NO_TIME)

    def stage_due_as_of(self, now: datetime) -> datetime:
        """The stage's due time, moved later by the stop still running at ``now``."""
        return self.stage_due_at + self.stopped_for(now)

    def projected_completion_as_of(self, now: datetime) -> datetime:
        """The projected completion, moved later by the stop still running at ``now``."""
        return self.projected_completion_at + self.stopped_for(now)


@dataclass(frozen=True, slots=True)
class Decision:
    state: OrderState
    events: tuple[Event, ...]


def start(
    flow: FlowVersion, calendar: BranchCalendar, now: datetime, promised_date: date | None
) -> Decision:
    """Open an order into the flow's first stage (version 1), as the machine's state."""
    opened = open_order(flow, calendar, now, promised_date)
    first = opened.state
    state = OrderState(
        status=State.IN_PROGRESS,
        flow_version=first.flow_version,
        stage_position=first.stage_position,
        entry_sequence=first.entry_sequence,
        stage_entered_at=first.stage_entered_at,
        stage_due_at=first.stage_due_at,
        projected_completion_at=first.projected_completion_at,
        promised_date=first.promised_date,
        promised_date_proposed=first.promised_date_proposed,
        paused_at=now if flow.stages[0].pauses_clock else None,
    )
    return Decision(state, opened.events)


def enter_stage(
    state: OrderState,
    position: int,
    flow: FlowVersion,
    calendar: BranchCalendar,
    now: datetime,
) -> Decision:
    """Put the order in progress in the stage at ``position``, from ``now``."""
    stage = flow.stages[position]
    deadline = compute_deadline(now, stage.planned_days, stage.counting, calendar)
    remaining = [(later.planned_days, later.counting) for later in flow.stages[position + 1 :]]
    completion = project_completion(deadline.due_at, remaining, calendar).due_at
    sequence = state.entry_sequence + 1
    entered = replace(
        restart_clock(state, now),
        status=State.IN_PROGRESS,
        stage_position=position,
        entry_sequence=sequence,
        stage_entered_at=now,
        stage_due_at=deadline.due_at,
        projected_completion_at=completion,
        paused_at=now if stage.pauses_clock else None,
    )
    event = StageEntered(
        from_stage=flow.stages[state.stage_position],
        from_position=state.stage_position,
        to_stage=stage,
        to_position=position,
        entry_sequence=sequence,
        entered_at=now,
        deadline=deadline,
        projected_completion_at=completion,
    )
    return Decision(entered, (event,))


def restart_clock(state: OrderState, now: datetime) -> OrderState:
    """End the current stop, if any, adding its length to ``paused_total``."""
    return replace(state, paused_at=None, paused_total=state.paused_total + state.stopped_for(now))
