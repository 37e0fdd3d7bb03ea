"""Branch calendars: which days a branch works, and why it does not.

Rules:

- A **business day** is a day whose weekday is in ``working_weekdays`` (0 = Monday … 6 = Sunday)
  and which is not in ``closed_days``.
- ``closed_days`` maps a date to the reason people read ("Carnaval (ponto facultativo)",
  "Aniversário da Cidade de São Paulo", "Fechamento para inventário"). It is already filtered to
  the days the branch really closes; the edge (``adapters/holidays.py``) builds it from
  the ``holidays`` package and the chain's choices.
- A non-business day's reason is its weekday name ("sábado", "domingo") when the branch never
  works that weekday, and the ``closed_days`` reason otherwise: a holiday on a Sunday is still
  "domingo" to a shop that never opens on Sundays.
- The branch works from ``opens_at`` to ``closes_at``, wall-clock time in ``timezone`` (an IANA
  name such as "America/Sao_Paulo"). ``closing_by_weekday`` gives another closing time for some
  weekdays (a shop open on Saturday mornings: ``{5: time(13, 0)}``); each must be after
  ``opens_at``. ``closes_on(day)`` is the closing time that applies on ``day``.

The calendar is plain data. It carries a :class:`DayIndex`, precomputed answers over a span of
days that grows on demand, so that a deadline costs a few lookups instead of a walk over days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES = (
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
    "domingo",
)
MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})
DEFAULT_OPENS_AT = time(9, 0)
DEFAULT_CLOSES_AT = time(18, 0)

# Rule 5 of the deadlines: a calendar whose next business day is further than this is broken
# (every day closed, or no working weekday), and must raise instead of searching forever.
LOOKAHEAD_DAYS = 3 * 365 + 1
# Margin added around a requested day when the index is (re)built, so that neighbouring
# requests do not rebuild it again.
_MARGIN_DAYS = 400
_FIRST_ORDINAL = date.min.toordinal()
_END_ORDINAL = date.max.toordinal() + 1


class DayCounting(StrEnum):
    """Whether a stage's planned days skip non-business days ("dias úteis") or not."""

    BUSINESS = "business"
    CALENDAR = "calendar"


@dataclass(frozen=True, slots=True)
class NonBusinessDay:
    """A day the branch does not work, with the reason people read."""

    day: date
    reason: str


@dataclass(frozen=True, slots=True)
class BranchCalendar:
    """One branch's working week, closed days, opening hours and time zone."""

    timezone: str
    closed_days: Mapping[date, str]
    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    opens_at: time = DEFAULT_OPENS_AT
    closes_at: time = DEFAULT_CLOSES_AT
    closing_by_weekday: Mapping[int, time] = field(default_factory=dict)
    day_index: DayIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.timezone!r}") from error
        if not self.working_weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays must be 0 (Monday) to 6 (Sunday): {self.working_weekdays}")
        if self.opens_at.tzinfo is not None or self.closes_at.tzinfo is not None:
            raise ValueError("opening hours are wall-clock times: give them without tzinfo")
        if not self.opens_at < self.closes_at:
            raise ValueError("the branch must open before it closes")
        for weekday, closes in self.closing_by_weekday.items():
            if weekday not in range(7):
                raise ValueError(f"weekdays must be 0 (Monday) to 6 (Sunday): {weekday}")
            if closes.tzinfo is not None:
                raise ValueError("opening hours are wall-clock times: give them without tzinfo")
            if not self.opens_at < closes:
                raise ValueError(
                    f"the branch must open before it closes on {WEEKDAY_NAMES[weekday]}"
                )
        # datetime is a subclass of date; a datetime key would never match a day lookup.
        if any(type(day) is not date for day in self.closed_days):
            raise ValueError("closed_days keys must be dates, not datetimes")
        # A private read-only copy: the index below must never go stale behind our back.
        object.__setattr__(self, "closed_days", MappingProxyType(dict(self.closed_days)))
        object.__setattr__(self, "working_weekdays", frozenset(self.working_weekdays))
        object.__setattr__(
            self, "closing_by_weekday", MappingProxyType(dict(self.closing_by_weekday))
        )
        object.__setattr__(self, "day_index", DayIndex(self, zone))

    def is_business_day(self, day: date) -> bool:
        """True when the branch works on ``day``."""
        return day.weekday() in self.working_weekdays and day not in self.closed_days

    def closes_on(self, day: date) -> time:
        """The closing time on ``day``'s weekday."""
        return self.day_index.closing[day.weekday()]


@dataclass(frozen=True, slots=True)
class _Span:
    """Precomputed answers for the days with ordinals in ``[lo, hi)``."""

    lo: int
    hi: int
    dates: tuple[date, ...]
    is_business: bytes
    # business_before[i]: how many business days lie in [lo, lo + i); same for skipped_before.
    business_before: tuple[int, ...]
    business_ordinals: tuple[int, ...]
    business_dates: tuple[date, ...]
    skipped_before: tuple[int, ...]
    skipped: tuple[NonBusinessDay, ...]


class DayIndex:
    """Fast questions about one calendar's days, answered from a span built on demand.

    Days are passed as ordinals (``date.toordinal()``) because integer arithmetic is what makes
    the deadline engine fast. The span is replaced as a whole when it must grow, so a reader
    always sees a consistent one.
    """

    __slots__ = ("_closed", "_span", "_weekdays", "closing", "zone")

    def __init__(self, calendar: BranchCalendar, zone: ZoneInfo) -> None:
        self.zone = zone
        self.closing: tuple[time, ...] = tuple(
            calendar.closing_by_weekday.get(weekday, calendar.closes_at) for weekday in range(7)
        )
        """Closing time by weekday (0 = Monday)."""
        self._weekdays = calendar.working_weekdays
        self._closed = {day.toordinal(): reason for day, reason in calendar.closed_days.items()}
        self._span: _Span | None = None

    def is_business(self, ordinal: int) -> bool:
        """True when the day ``ordinal`` is a business day."""
        span = self._cover(ordinal)
        return span.is_business[ordinal - span.lo] == 1

    def next_business(self, ordinal: int) -> int:
        """The first business day on or after ``ordinal``; ValueError if none within 3 years."""
        return self.nth_business(ordinal, 1)

    def nth_business(self, ordinal: int, count: int) -> int:
        """The ``count``-th (≥ 1) business day on or after ``ordinal``, as an ordinal."""
        span, first = self._business_run(ordinal, count)
        return span.business_ordinals[first + count - 1]

    def business_days_from(self, ordinal: int, count: int) -> tuple[date, ...]:
        """The first ``count`` (≥ 1) business days on or after ``ordinal``."""
        span, first = self._business_run(ordinal, count)
        return span.business_dates[first : first + count]

    def _business_run(self, ordinal: int, count: int) -> tuple[_Span, int]:
        """A span holding ``count`` business days from ``ordinal`` on, and the first one's
        place among its business days; ValueError if none within 3 years of ``ordinal``."""
        span = self._cover(ordinal)
        first = span.business_before[ordinal - span.lo]
        if (
            first >= len(span.business_ordinals)
            or span.business_ordinals[first] - ordinal > LOOKAHEAD_DAYS
        ):
            raise ValueError(f"no business day within {LOOKAHEAD_DAYS} days of {_day(ordinal)}")
        while first + count > len(span.business_ordinals):
            span = self._grow_forward(span)
        return span, first

    def skipped_between(self, start: int, end: int) -> tuple[NonBusinessDay, ...]:
        """The non-business days in ``[start, end)``, with their reasons."""
        span = self._cover(start, end)
        before = span.skipped_before
        return span.skipped[before[start - span.lo] : before[end - span.lo]]

    def days_between(self, start: int, end: int) -> tuple[date, ...]:
        """Every day in ``[start, end)``."""
        span = self._cover(start, end)
        return span.dates[start - span.lo : end - span.lo]

    def _cover(self, first: int, last: int | None = None) -> _Span:
        """A span holding ``first`` .. ``last`` and a lookahead of 3 years past ``first``."""
        span = self._span
        need_hi = first + LOOKAHEAD_DAYS + 1
        if last is not None and last >= need_hi:
            need_hi = last + 1
        if span is not None and span.lo <= first and need_hi <= span.hi:
            return span
        if first < _FIRST_ORDINAL or need_hi > _END_ORDINAL:
            raise ValueError(f"day {first} is too close to the ends of the calendar")
        lo = first - _MARGIN_DAYS if span is None else min(span.lo, first - _MARGIN_DAYS)
        hi = need_hi + _MARGIN_DAYS if span is None else max(span.hi, need_hi + _MARGIN_DAYS)
        return self._build(max(lo, _FIRST_ORDINAL), min(hi, _END_ORDINAL))

    def _grow_forward(self, span: _Span) -> _Span:
        """Double the span forward; ValueError if the new days hold no business day at all."""
        hi = min(span.hi + max(span.hi - span.lo, LOOKAHEAD_DAYS), _END_ORDINAL)
        if hi == span.hi:
            raise ValueError("the count runs past the end of the calendar")
        grown = self._build(span.lo, hi)
        if len(grown.business_ordinals) == len(span.business_ordinals):
            raise ValueError(f"no business day within {LOOKAHEAD_DAYS} days of {_day(span.hi)}")
        return grown

    def _build(self, lo: int, hi: int) -> _Span:
        dates = tuple(date.fromordinal(ordinal) for ordinal in range(lo, hi))
        is_business = bytearray(hi - lo)
        business_before = [0]
        skipped_before = [0]
        business_ordinals: list[int] = []
        skipped: list[NonBusinessDay] = []
        for offset, day in enumerate(dates):
            ordinal = lo + offset
            weekday = (ordinal - 1) % 7  # ordinal 1 (0001-01-01) was a Monday
            if weekday not in self._weekdays:
                skipped.append(NonBusinessDay(day, WEEKDAY_NAMES[weekday]))
            elif ordinal in self._closed:
                skipped.append(NonBusinessDay(day, self._closed[ordinal]))
            else:
                is_business[offset] = 1
                business_ordinals.append(ordinal)
            business_before.append(len(business_ordinals))
            skipped_before.append(len(skipped))
        span = _Span(
            lo=lo,
            hi=hi,
            dates=dates,
            is_business=bytes(is_business),
            business_before=tuple(business_before),
            business_ordinals=tuple(business_ordinals),
            business_dates=tuple(dates[ordinal - lo] for ordinal in business_ordinals),
            skipped_before=tuple(skipped_before),
            skipped=tuple(skipped),
        )
        self._span = span
        return span


def _day(ordinal: int) -> date:
    return date.fromordinal(max(1, min(ordinal, date.max.toordinal())))
