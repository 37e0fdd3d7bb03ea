"""A clock that stops in working time: what a pause gives back to a stage's due time.

Rules (``docs/deadline-rules.md``, "Pausas"):

1. A pause from ``paused_at`` to ``resumed_at`` takes the branch's **closing times** that pass
   while it lasts: the closing time (in the branch's zone, that weekday's) of each business day
   with ``paused_at < closing <= resumed_at``. A closing time at the very instant of the pause
   belongs to the day already worked; one at the instant of the resume was lost.
2. On resume the stage's due time moves forward by that many business days (``k``), landing at
   the closing time of the k-th business day after the due day. ``k = 0`` changes nothing.
3. The same rule for business-day and calendar-day stages: a pause is the shop's stop (a frame
   that has not arrived, a customer who travelled), so what it takes is the shop's working days;
   a calendar-day deadline already sits at a business day's closing time, and stays there.

Laws (hypothesis-tested): a pause entirely outside working hours moves nothing; a pause of k
whole business days moves the due by exactly k business days; pausing and resuming at the same
instant is the identity; a due at a business day's closing time stays at one; a later resume
never gives an earlier due time. A paused order is never late: while paused, the due time as
of now is always after now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from workflow.domain.calendar import BranchCalendar


@dataclass(frozen=True, slots=True)
class PauseCredit:
    """What one stop gave back: the business days whose closing time passed while it lasted."""

    paused_at: datetime
    """In the branch's zone."""
    resumed_at: datetime
    """In the branch's zone."""
    days: tuple[date, ...]
    reason: str | None = None
    """Why the order was paused ("aguardando armação"); None for a stage that waits."""

    @property
    def business_days(self) -> int:
        return len(self.days)

    def describe(self) -> str:
        """ "+2 dias úteis pela pausa de 03/03 11:00 a 05/03 11:00 (aguardando armação)"."""
        span = f"{self.paused_at:%d/%m %H:%M} a {self.resumed_at:%d/%m %H:%M}"
        why = f" ({self.reason})" if self.reason else ""
        count = self.business_days
        if count == 0:
            return f"a pausa de {span}{why} não tomou nenhum dia útil; prazo mantido"
        unit = "dia útil" if count == 1 else "dias úteis"
        return f"+{count} {unit} pela pausa de {span}{why}"


def pause_credit(
    paused_at: datetime, resumed_at: datetime, calendar: BranchCalendar, reason: str | None = None
) -> PauseCredit:
    """The business days whose closing time is in ``(paused_at, resumed_at]`` (rule 1)."""
    for moment in (paused_at, resumed_at):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"pause times must be timezone-aware: {moment!r}")
    index = calendar.day_index
    start, end = paused_at.astimezone(index.zone), resumed_at.astimezone(index.zone)
    days: list[date] = []
    if end > start:
        for day in index.days_between(start.toordinal(), end.toordinal() + 1):
            if index.is_business(day.toordinal()) and start < closing_of(day, calendar) <= end:
                days.append(day)
    return PauseCredit(start, end, tuple(days), reason)


def shift_due(due: datetime, business_days: int, calendar: BranchCalendar) -> datetime:
    """``due`` moved to closing time of the ``business_days``-th business day after its day."""
    if business_days < 0:
        raise ValueError(f"a pause cannot take back days: {business_days}")
    if business_days == 0:
        return due
    index = calendar.day_index
    day = due.astimezone(index.zone).toordinal()
    return closing_of(index.business_days_from(day + 1, business_days)[-1], calendar)


def next_closing_after(moment: datetime, calendar: BranchCalendar) -> datetime:
    """The first business day's closing time strictly after ``moment``."""
    index = calendar.day_index
    local = moment.astimezone(index.zone)
    today = local.toordinal()
    day = index.business_days_from(today, 1)[0]
    closing = closing_of(day, calendar)
    if closing > local:
        return closing
    return closing_of(index.business_days_from(day.toordinal() + 1, 1)[0], calendar)


def closing_of(day: date, calendar: BranchCalendar) -> datetime:
    """``day``'s closing time in the branch's zone."""
    return datetime.combine(day, calendar.closes_on(day), calendar.day_index.zone)
