"""An order's life in the workflow, as pure decisions: state in, new state and events out.

Rules (so far):
- Opening puts the order in the flow's first stage (entry sequence 1); the stage's due time and
  the projected completion of the whole flow are computed in the branch calendar from ``now``.
- Without a promised date from the counter, the proposed one (the projected completion's date)
  becomes the promised date.
- A flow with no stages cannot take orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from workflow.domain.calendar import BranchCalendar
from workflow.domain.deadlines import Deadline, project_completion
from workflow.domain.flow import FlowVersion, Stage


class OrderStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class EmptyFlow(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class OrderState:
    status: OrderStatus
    flow_version: int
    stage_position: int
    entry_sequence: int
    stage_entered_at: datetime
    stage_due_at: datetime
    projected_completion_at: datetime
    promised_date: date
    promised_date_proposed: bool


@dataclass(frozen=True, slots=True)
class StageEntered:
    """The order entered a stage (an event of the domain, published as order.stage_changed)."""

    from_stage: Stage | None
    from_position: int | None
    to_stage: Stage
    to_position: int
    entry_sequence: int
    entered_at: datetime
    deadline: Deadline
    projected_completion_at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    state: OrderState
    events: tuple[StageEntered, ...]


def open_order(
    flow: FlowVersion, calendar: BranchCalendar, now: datetime, promised_date: date | None
) -> Decision:
    if not flow.stages:
        raise EmptyFlow(f"service type {flow.service_type!r} has no stages")
    projection = project_completion(
        now, [(stage.planned_days, stage.counting) for stage in flow.stages], calendar
    )
    first_deadline = projection.stage_deadlines[0]
    completion = projection.due_at
    state = OrderState(
        status=OrderStatus.IN_PROGRESS,
        flow_version=flow.version,
        stage_position=0,
        entry_sequence=1,
        stage_entered_at=now,
        stage_due_at=first_deadline.due_at,
        projected_completion_at=completion,
        promised_date=promised_date or completion.date(),
        promised_date_proposed=promised_date is None,
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
    return Decision(state=state, events=(entered,))
