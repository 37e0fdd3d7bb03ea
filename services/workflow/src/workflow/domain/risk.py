"""Is an open order on track, at risk or overdue, why, and when to look again.

Rules (``now`` and the branch's time zone come in; a due time "has passed" at ``now >= due``):

- **Overdue** when the stage's due time (as of now: a stopped clock moves it later) or the end
  of the promised day (midnight in the branch's zone) has passed.
- **At risk** when the projected completion (as of now) falls after the promised date, when the
  lab's forecast (eta) is after the promised date, or when the stage has used ``share`` (e.g.
  0.8) or more of its time budget. The budget is the stage's planned due time minus its entry;
  time spent with the clock stopped does not count as used.
- **On track** otherwise. The reason lists every cause of the level, in Portuguese.
- ``next_check_at`` is the first instant after ``now`` at which the level could change with no
  other event (the share point, the due time, the end of the promised day, or, while the clock
  is stopped, the moment the projection crosses the promised date). The sweeper's timers are
  these instants, held in PostgreSQL.

Closed orders (delivered, cancelled) are not assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from workflow.domain.order_state import OrderState

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
    state: OrderState, stage_name: str, timezone: str, now: datetime, share: float
) -> RiskAssessment:
    if not state.is_open:
        raise ValueError(f"a {state.status} order is not assessed")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1]: {share}")
    zone = ZoneInfo(timezone)
    promised_end = datetime.combine(state.promised_date + timedelta(days=1), time(0), zone)
    promised = f"{state.promised_date:%d/%m/%Y}"
    stage_due = state.stage_due_as_of(now)
    projected = state.projected_completion_as_of(now)

    overdue: list[str] = []
    if now >= stage_due:
        local = stage_due.astimezone(zone)
        overdue.append(f"a etapa “{stage_name}” venceu em {local:%d/%m/%Y às %H:%M}")
    if now >= promised_end:
        overdue.append(f"a data prometida ({promised}) passou")

    at_risk: list[str] = []
    if projected >= promised_end:
        at_risk.append(
            f"a previsão de conclusão ({projected.astimezone(zone):%d/%m/%Y}) é depois da "
            f"data prometida ({promised})"
        )
    if state.lab_eta is not None and state.lab_eta > state.promised_date:
        at_risk.append(
            f"a previsão do laboratório ({state.lab_eta:%d/%m/%Y}) é depois da "
            f"data prometida ({promised})"
        )
    budget = state.stage_planned_due_at - state.stage_entered_at
    used = _used_share(budget, stage_due - now)
    if used >= share and now < stage_due:
        at_risk.append(f"a etapa “{stage_name}” já usou {used:.0%} do prazo (limite {share:.0%})")

    if overdue:
        level, reasons = RiskLevel.OVERDUE, overdue
    elif at_risk:
        level, reasons = RiskLevel.AT_RISK, at_risk
    else:
        level, reasons = RiskLevel.ON_TRACK, ["dentro do prazo"]
    reason = "; ".join(reasons)
    return RiskAssessment(
        level, reason[0].upper() + reason[1:], _next_check(state, now, share, promised_end)
    )


def _used_share(budget: timedelta, remaining: timedelta) -> float:
    if budget <= timedelta(0):
        return 1.0 if remaining <= timedelta(0) else 0.0
    return 1 - remaining / budget


def _next_check(
    state: OrderState, now: datetime, share: float, promised_end: datetime
) -> datetime | None:
    candidates = [promised_end]
    if state.paused_at is None:
        budget = state.stage_planned_due_at - state.stage_entered_at
        candidates += [state.stage_due_at, state.stage_due_at - (1 - share) * budget]
    else:
        # The projection moves later with the wall clock; it reaches the promised day's end at:
        candidates.append(promised_end - state.projected_completion_at + state.paused_at)
    future = [moment for moment in candidates if moment > now]
    return min(future) if future else None
