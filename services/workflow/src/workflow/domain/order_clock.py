"""The order's clock: what a stop gives back to the stage's due time, and the order as of now.

Rules (the arithmetic is :mod:`workflow.domain.pauses`):

- A stop runs from ``paused_at`` (a ``Pause``, or entering a stage that ``pauses_clock``) until
  it ends. Ending it by ``Resume`` moves the stage's due time forward by the business days whose
  closing time passed while it lasted, landing at a closing time, and plans the completion again
  from there (:func:`workflow.domain.order_state.replanned`).
- While the clock is stopped the stored due times hold still; :func:`as_of` gives them as if the
  order were resumed at ``now`` (what risk assesses), so a waiting order is never late. Those
  values change only at the branch's closing times.
- Entering another stage recomputes everything from ``now``; the stop ends with nothing to give
  back (the new stage gets its own time).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow.domain.calendar import BranchCalendar
from workflow.domain.flow import FlowVersion
from workflow.domain.order_state import OrderState, replanned
from workflow.domain.pauses import PauseCredit, pause_credit, shift_due


def stop_credit(state: OrderState, calendar: BranchCalendar, now: datetime) -> PauseCredit | None:
    """What the stop running at ``now`` gives back if it ends now; None while the clock runs."""
    if state.paused_at is None:
        return None
    return pause_credit(state.paused_at, max(now, state.paused_at), calendar, state.pause_reason)


def credited(
    state: OrderState, credit: PauseCredit, flow: FlowVersion, calendar: BranchCalendar
) -> OrderState:
    """``state`` with the stage's due time moved by ``credit`` and the completion planned again."""
    if not credit.business_days:
        return state
    due = shift_due(state.stage_due_at, credit.business_days, calendar)
    return replanned(replace(state, stage_due_at=due), flow, calendar)


def as_of(
    state: OrderState, flow: FlowVersion, calendar: BranchCalendar, now: datetime
) -> OrderState:
    """The order's due times as of ``now``: moved by the stop still running, if any."""
    credit = stop_credit(state, calendar, now)
    return state if credit is None else credited(state, credit, flow, calendar)
