"""Stage deadlines in business or calendar days, over a branch calendar, with their reasons.

Rules (a shop's expectations; every one has a test):

1. **Business days, N ≥ 1.** The entry day counts as the first business day only when the
   order enters it *before* the branch opens (``opens_at``) on a business day; otherwise the
   count starts on the next business day. The deadline is closing time on the Nth counted
   business day (``closes_on``: a branch may close earlier on Saturdays). Entry Friday
   13/02/2026 10:00 in São Paulo, 3 business days, with Carnival observed: skips Sat 14,
   Sun 15, Mon 16, Tue 17 and counts Wed 18, Thu 19, Fri 20, so it is due Fri 20/02/2026
   18:00 -03:00.
2. **Calendar days, N ≥ 1.** The same first day as rule 1 (the entry day when the order enters
   before opening on a business day, otherwise the next day), then N consecutive days; due at
   closing time on the Nth. When that day is not a business day the deadline moves to closing
   time of the next business day, and the explanation says where it fell. Counting the early
   entry day here too keeps "N dias corridos" from ever ending after "N dias úteis".
3. **Zero days (either mode).** Due at closing time of the entry day when it is a business day
   and the entry is at or before closing time; otherwise at closing time of the next business
   day. "At or before" (not "before") makes a zero-day stage entered when the previous stage
   falls due cost nothing, instead of pushing the order a whole day.
4. **Entry outside working time** (holiday, weekend, after hours) follows from 1–3: that day is
   never counted. The entry time is first converted to the branch's time zone; ``due_at`` is an
   aware datetime in that zone.
5. **A broken calendar raises.** If the next business day the count needs is more than three
   years away (every day closed, no working weekday), ValueError is raised instead of looping.

Laws that follow (property-tested): for a, b ≥ 1 business days, counting a and then b from the
first due time gives the same deadline as counting a + b (closing time is after opening time,
so the second count starts on the next business day); a deadline is at closing time on a
business day; a later start never gives an earlier deadline; N calendar days never end after
N business days; the same instant in any zone gives the same deadline.

A projection chains stages: each stage starts when the previous one is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from workflow.domain.calendar import WEEKDAY_NAMES, BranchCalendar, DayCounting, NonBusinessDay


@dataclass(frozen=True, slots=True)
class DeadlineExplanation:
    """Why a deadline is where it is, as data; ``describe()`` says it in Portuguese."""

    entered_at: datetime
    """The entry time, in the branch's zone."""
    planned_days: int
    counting: DayCounting
    due_on: date
    counted_days: tuple[date, ...]
    """Business mode: the N business days counted. Calendar mode: the N consecutive days."""
    skipped_days: tuple[NonBusinessDay, ...]
    """Non-business days passed over: from entry to the due day (business and zero-day mode),
    or from the day the deadline fell on to the day it moved to (calendar mode)."""
    moved_from: date | None
    """The day the deadline first fell on, when it was moved off it (rules 2 and 3)."""

    @property
    def entry_day_counted(self) -> bool:
        """True when the entry day itself is one of the counted business days."""
        return bool(self.counted_days) and self.counted_days[0] == self.entered_at.date()

    def describe(self) -> str:
        """A short sentence for the staff, e.g. "3 dias úteis a partir de 13/02/2026; pulou …"."""
        return _describe(self)


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a stage is due, and why."""

    due_at: datetime
    explanation: DeadlineExplanation

    def describe(self) -> str:
        """The explanation in Portuguese."""
        return self.explanation.describe()


@dataclass(frozen=True, slots=True)
class Projection:
    """Per-stage deadlines of a chain of stages, each starting when the previous is due."""

    started_at: datetime
    """The start, in the branch's zone."""
    stage_deadlines: tuple[Deadline, ...]

    @property
    def due_at(self) -> datetime:
        """When the last stage is due; the start itself when there is no stage left."""
        return self.stage_deadlines[-1].due_at if self.stage_deadlines else self.started_at


def compute_deadline(
    start: datetime, planned_days: int, counting: DayCounting, calendar: BranchCalendar
) -> Deadline:
    """The deadline of a stage entered at ``start`` (aware) lasting ``planned_days`` (≥ 0)."""
    local = _local(start, calendar)
    index = calendar.day_index
    entry = local.toordinal()
    due, first = _due_day(entry, local.time(), planned_days, counting, calendar)
    counted: tuple[date, ...] = ()
    moved_from: date | None = None
    if planned_days == 0:
        skipped = index.skipped_between(entry, due)
        if due != entry:
            moved_from = local.date()
    elif counting == DayCounting.BUSINESS:
        counted = index.business_days_from(first, planned_days)
        skipped = index.skipped_between(entry, due)
    else:
        nominal = first + planned_days - 1
        counted = index.days_between(first, nominal + 1)
        skipped = index.skipped_between(nominal, due)
        if due != nominal:
            moved_from = counted[-1]
    due_on = date.fromordinal(due)
    explanation = DeadlineExplanation(
        local, planned_days, counting, due_on, counted, skipped, moved_from
    )
    return Deadline(_closing(due, calendar), explanation)


def project_completion(
    start: datetime, stages: Sequence[tuple[int, DayCounting]], calendar: BranchCalendar
) -> Projection:
    """Chain ``stages`` (planned days, counting) from ``start``: each starts when the last ends."""
    started_at = _local(start, calendar)
    deadlines: list[Deadline] = []
    stage_start = started_at
    for planned_days, counting in stages:
        deadline = compute_deadline(stage_start, planned_days, counting, calendar)
        deadlines.append(deadline)
        stage_start = deadline.due_at
    return Projection(started_at, tuple(deadlines))


def project_due_times(
    start: datetime, stages: Sequence[tuple[int, DayCounting]], calendar: BranchCalendar
) -> tuple[datetime, ...]:
    """When each of ``stages`` is due, chained from ``start`` as ``project_completion`` chains
    them, without the explanations: what planning an order's completion needs, for every
    later stage of its flow at every move."""
    local = _local(start, calendar)
    due_times: list[datetime] = []
    for planned_days, counting in stages:
        due, _ = _due_day(local.toordinal(), local.time(), planned_days, counting, calendar)
        # the next stage starts then; already in the branch's zone, which ``_local`` would
        # hand back unchanged (``astimezone`` to a datetime's own zone adjusts nothing)
        local = _closing(due, calendar)
        due_times.append(local)
    return tuple(due_times)


def _local(start: datetime, calendar: BranchCalendar) -> datetime:
    """``start`` (aware) in the branch's zone."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware: {start!r}")
    return start.astimezone(calendar.day_index.zone)


def _due_day(
    entry: int, at: time, planned_days: int, counting: DayCounting, calendar: BranchCalendar
) -> tuple[int, int]:
    """Rules 1–3 on day ordinals: the due day of a stage entered on day ``entry`` at ``at``
    (the branch's wall clock), and the first day its count may use."""
    if planned_days < 0:
        raise ValueError(f"planned days cannot be negative: {planned_days}")
    index = calendar.day_index
    if planned_days == 0:
        in_time = at <= index.closing[(entry - 1) % 7]  # ordinal 1 (0001-01-01) was a Monday
        return index.next_business(entry if in_time else entry + 1), entry
    counts_entry_day = at < calendar.opens_at and index.is_business(entry)
    first = entry if counts_entry_day else entry + 1
    if counting == DayCounting.BUSINESS:
        return index.nth_business(first, planned_days), first
    return index.next_business(first + planned_days - 1), first


def _closing(day: int, calendar: BranchCalendar) -> datetime:
    """Closing time on day ``day`` (an ordinal), in the branch's zone."""
    index = calendar.day_index
    return datetime.combine(date.fromordinal(day), index.closing[(day - 1) % 7], index.zone)


# --- Portuguese rendering ---------------------------------------------------------------------

_WEEKEND = frozenset({"sábado", "domingo"})


def _describe(explanation: DeadlineExplanation) -> str:
    days = explanation.planned_days
    unit = "dia" if days == 1 else "dias"
    kind = "útil" if explanation.counting == DayCounting.BUSINESS else "corrido"
    kind = kind if days == 1 else ("úteis" if kind == "útil" else "corridos")
    head = f"{days} {unit} {kind} a partir de {explanation.entered_at:%d/%m/%Y}"
    if days and explanation.entry_day_counted:
        head += ", contando o dia da entrada"
    parts = [head]
    if days == 0:
        if explanation.moved_from is None:
            parts.append("prazo no mesmo dia")
        else:
            parts.append(
                f"entrada fora do expediente; prazo no dia útil seguinte, {_dm(explanation.due_on)}"
            )
    elif explanation.moved_from is not None:
        parts.append(
            f"o prazo caía em {_dm(explanation.moved_from)} e passou para {_dm(explanation.due_on)}"
        )
    if explanation.skipped_days:
        parts.append("pulou " + _join(_groups(explanation.skipped_days)))
    return "; ".join(parts)


def describe_skipped(skipped: Sequence[NonBusinessDay]) -> str:
    """ "Carnaval (ponto facultativo, 16/02 e 17/02) e o fim de semana (14/02 e 15/02)"."""
    return _join(_groups(tuple(skipped))) if skipped else ""


def _groups(skipped: tuple[NonBusinessDay, ...]) -> list[str]:
    """Closures first (in date order), then the weekend, then other weekdays the branch rests."""
    closures: dict[str, list[date]] = {}
    weekend: list[date] = []
    weekend_reasons: set[str] = set()
    rest: dict[str, list[date]] = {}
    for day in skipped:
        if day.reason in _WEEKEND:
            weekend.append(day.day)
            weekend_reasons.add(day.reason)
        elif day.reason in WEEKDAY_NAMES:
            rest.setdefault(day.reason, []).append(day.day)
        else:
            closures.setdefault(day.reason, []).append(day.day)
    groups = [_label(reason, days) for reason, days in closures.items()]
    if len(weekend_reasons) == 1:  # only Sundays (a branch open on Saturdays), or Saturdays
        (reason,) = weekend_reasons
        groups.append(_label(reason if len(weekend) == 1 else f"os {reason}s", weekend))
    elif weekend:
        one_weekend = (weekend[-1] - weekend[0]).days <= 1
        groups.append(_label("o fim de semana" if one_weekend else "os fins de semana", weekend))
    groups.extend(_label(reason, days) for reason, days in rest.items())
    return groups


def _label(reason: str, days: list[date]) -> str:
    dates = _join([_dm(day) for day in days])
    # "Carnaval (ponto facultativo)" reads better as "Carnaval (ponto facultativo, 16/02 e 17/02)"
    # than with two parentheses in a row.
    if reason.endswith(")"):
        return f"{reason[:-1]}, {dates})"
    return f"{reason} ({dates})"


def _dm(day: date) -> str:
    return f"{day:%d/%m}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " e " + items[-1]
