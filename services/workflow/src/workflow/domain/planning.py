"""Re-planning: when the order will be ready, from where it is now.

Rules (``docs/deadline-rules.md``, "Replanejamento"):

1. The projected completion chains the stages after the current one from the current stage's
   due time (each stage starting when the previous one is due), as at opening.
2. While **the lab works on the order** (it has reported a status, and not ``shipped`` or
   ``cancelled``) and has given a forecast (``eta``), the forecast is when the lab hands the
   order back: the day the order enters the stage that ``shipped`` moves it to (the first later
   stage whose ``lab_statuses`` hold ``shipped``; without one, the next stage). When the
   forecast's closing time is later than the planned entry into that stage, the stages from it
   on are chained from the forecast's closing time instead; the plan says so ("pela previsão
   do laboratório de 21/12"). A forecast earlier than planned changes nothing: the plan (and a
   projection pushed by an earlier, later forecast) comes back to rule 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from workflow.domain.calendar import BranchCalendar
from workflow.domain.deadlines import project_due_times
from workflow.domain.flow import FlowVersion
from workflow.domain.pauses import closing_of

LAB_STATUSES_DONE = frozenset({"shipped", "cancelled"})
"""After these the lab no longer works on the order: its forecast no longer plans it."""


@dataclass(frozen=True, slots=True)
class Plan:
    completion_at: datetime
    lab_eta: date | None = None
    """The lab forecast the plan follows (rule 2); None when it follows the stage's due time."""


def plan_completion(
    flow: FlowVersion,
    position: int,
    stage_due_at: datetime,
    calendar: BranchCalendar,
    lab_status: str | None = None,
    lab_eta: date | None = None,
) -> Plan:
    """The projected completion of an order in stage ``position``, due at ``stage_due_at``."""
    stages = flow.stages
    later = [(stage.planned_days, stage.counting) for stage in stages[position + 1 :]]
    planned = project_due_times(stage_due_at, later, calendar)
    completion = _chain_end(stage_due_at, planned, calendar)
    if lab_status is None or lab_status in LAB_STATUSES_DONE or lab_eta is None:
        return Plan(completion)
    handoff = next(
        (at for at in range(position + 1, len(stages)) if "shipped" in stages[at].lab_statuses),
        position + 1,
    )
    # The planned entry into the handoff stage: the due time of the stage before it.
    before = handoff - position - 2
    planned_entry = stage_due_at if before < 0 else planned[before]
    forecast = closing_of(lab_eta, calendar)
    if forecast <= planned_entry:
        return Plan(completion)
    rest = [(stage.planned_days, stage.counting) for stage in stages[handoff:]]
    after_forecast = project_due_times(forecast, rest, calendar)
    return Plan(_chain_end(forecast, after_forecast, calendar), lab_eta)


def _chain_end(
    start: datetime, due_times: tuple[datetime, ...], calendar: BranchCalendar
) -> datetime:
    """When a chain of stages from ``start`` ends: its last due time, or the start itself (in
    the branch's zone) with no stage in it, as ``Projection.due_at``."""
    return due_times[-1] if due_times else start.astimezone(calendar.day_index.zone)


def describe_plan(lab_eta: date | None, stage_name: str | None = None) -> str:
    """ "pela previsão do laboratório de 21/12", or "pelo prazo da etapa “Montagem”"."""
    if lab_eta is not None:
        return f"pela previsão do laboratório de {lab_eta:%d/%m}"
    return f"pelo prazo da etapa “{stage_name}”" if stage_name else "pelo prazo da etapa atual"
