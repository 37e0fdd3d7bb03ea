"""Is an open order on track, at risk or overdue, why, and when to look again.

Rules (``now`` and the branch's time zone come in; a due time "has passed" at ``now >= due``):

- **Overdue** when the stage's due time (as of now: a stopped clock gives back the business
  days whose closing time passed, :func:`workflow.domain.order_clock.as_of`) or the end of the
  promised day (midnight in the branch's zone) has passed.
- **At risk** when the projected completion (as of now, re-planned by the lab's forecast when
  the lab works on the order: :mod:`workflow.domain.planning`) falls after the promised date,
  when the lab's forecast (eta) is after the promised date, or when the stage has used
  ``share`` (e.g. 0.8) or more of its time budget. The budget is the stage's planned due time
  minus its entry; time given back by stops does not count as used, and while the clock is
  stopped the share used is the one at the moment it stopped.
- **On track** otherwise. The reason lists every cause of the level, in Portuguese.
- ``next_check_at`` is the first instant after ``now`` at which the level could change with no
  other event (the share point, the due time, the end of the promised day, or, while the clock
  is stopped, the branch's next closing time, where the due times as of now move). The
  sweeper's timers are these instants, held in PostgreSQL.

Closed orders (delivered, cancelled) are not assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from workflow.domain.calendar import BranchCalendar
from workflow.domain.flow import FlowVersion
from workflow.domain.order_clock import as_of
from workflow.domain.order_state import OrderState
from workflow.domain.pauses import next_closing_after

DEFAULT_RISK_SHARE = 0.8


class RiskLevel(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    level: RiskLevel
    reason: str
    next_check_at: datetime | None


def assess_risk(
    state: OrderState, flow: FlowVersion, calendar: BranchCalendar, now: datetime, share: float
) -> RiskAssessment:
    if not state.is_open:
        raise ValueError(f"a {state.status} order is not assessed")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1]: {share}")
    zone = calendar.day_index.zone
    stage_name = flow.stages[state.stage_position].name
    promised_end = datetime.combine(state.promised_date + timedelta(days=1), time(0), zone)
    promised = f"{state.promised_date:%d/%m/%Y}"
    now_state = as_of(state, flow, calendar, now)
    stage_due = now_state.stage_due_at
    projected = now_state.projected_completion_at
    by_lab = now_state.projected_from_lab_eta

    overdue: list[str] = []
    if now >= stage_due:
        local = stage_due.astimezone(zone)
        overdue.append(f"a etapa “{stage_name}” venceu em {local:%d/%m/%Y às %H:%M}")
    if now >= promised_end:
        overdue.append(f"a data prometida ({promised}) passou")

    at_risk: list[str] = []
    if projected >= promised_end:
        basis = f", pela previsão do laboratório de {by_lab:%d/%m}" if by_lab else ""
        at_risk.append(
            f"a previsão de conclusão ({projected.astimezone(zone):%d/%m/%Y}{basis}) é depois "
            f"da data prometida ({promised})"
        )
    if by_lab is None and state.lab_eta is not None and state.lab_eta > state.promised_date:
        at_risk.append(
            f"a previsão do laboratório ({state.lab_eta:%d/%m/%Y}) é depois da "
            f"data prometida ({promised})"
        )
    budget = state.stage_planned_due_at - state.stage_entered_at
    # While the clock is stopped, the share used stays what it was when it stopped.
    used = _used_share(budget, state.stage_due_at - (state.paused_at or now))
    if used >= share and now < stage_due:
        at_risk.append(f"a etapa “{stage_name}” já usou {used:.0%} do prazo (limite {share:.0%})")

    if overdue:
        level, reasons = RiskLevel.OVERDUE, overdue
    elif at_risk:
        level, reasons = RiskLevel.AT_RISK, at_risk
    else:
        level, reasons = RiskLevel.ON_TRACK, ["dentro do prazo"]
    reason = "; ".join(reasons)
    next_check = _next_check(state, calendar, now, share, promised_end)
    return RiskAssessment(level, reason[0].upper() + reason[1:], next_check)


def _used_share(budget: timedelta, remaining: timedelta) -> float:
    if budget <= timedelta(0):
        return 1.0 if remaining <= timedelta(0) else 0.0
    return 1 - remaining / budget


def _next_check(
    state: OrderState, calendar: BranchCalendar, now: datetime, share: float, promised_end: datetime
) -> datetime | None:
    candidates = [promised_end]
    if state.paused_at is None:
        budget = state.stage_planned_due_at - state.stage_entered_at
        candidates += [state.stage_due_at, state.stage_due_at - (1 - share) * budget]
    else:
        # The due times as of now move only when a closing time passes.
        candidates.append(next_closing_after(now, calendar))
    future = [moment for moment in candidates if moment > now]
    return min(future) if future else None
