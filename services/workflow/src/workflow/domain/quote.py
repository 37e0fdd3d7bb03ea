"""A quote: when an order of a service type started now would be ready, stage by stage.

The quote chains every stage of the flow from ``start`` (each stage starts when the previous one
is due, as an order's projected completion does), so the proposed promised date is the day the
last stage is due. A stage that pauses the clock (waiting for the customer) counts with its
planned days like any other: the quote assumes nobody waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from workflow.domain.calendar import BranchCalendar
from workflow.domain.deadlines import Projection, describe_skipped, project_completion
from workflow.domain.flow import FlowVersion


@dataclass(frozen=True, slots=True)
class Quote:
    flow: FlowVersion
    projection: Projection

    @property
    def due_at(self) -> datetime:
        return self.projection.due_at

    @property
    def promised_date(self) -> date:
        return self.projection.due_at.date()

    def describe(self) -> str:
        """ "Pronto em 20/02/2026 às 18:00: 3 etapas, 5 dias a partir de 13/02/2026 10:00; …"."""
        started = self.projection.started_at
        count = len(self.flow.stages)
        head = (
            f"pronto em {self.due_at:%d/%m/%Y} às {self.due_at:%H:%M}: "
            f"{count} {'etapa' if count == 1 else 'etapas'} a partir de "
            f"{started:%d/%m/%Y} {started:%H:%M}"
        )
        skipped = {
            day.day: day
            for deadline in self.projection.stage_deadlines
            for day in deadline.explanation.skipped_days
        }
        passed = describe_skipped([skipped[day] for day in sorted(skipped)])
        return head[0].upper() + head[1:] + (f"; pulou {passed}" if passed else "")


def quote(flow: FlowVersion, calendar: BranchCalendar, start: datetime) -> Quote:
    """Every stage of ``flow`` chained from ``start`` (aware) in ``calendar``."""
    stages = [(stage.planned_days, stage.counting) for stage in flow.stages]
    return Quote(flow, project_completion(start, stages, calendar))
