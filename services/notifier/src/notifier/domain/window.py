"""Sending hours: when a branch's customers may receive an SMS (pure: no I/O, no clock).

Rules:
- A branch's window is a local start and end time (start inclusive, end exclusive) on some
  weekdays (0 = Monday), 08:00–20:00 Monday to Saturday by default, never on a closed day
  (national and state holidays, given by the caller as a set of dates).
- ``next_opening`` answers None while the window is open, else the next instant it opens, in
  UTC: later today if the day's window has not started yet, otherwise the start of the next
  sending day.
- A window that never opens within a year (no weekday, or start at or after end) is an error.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_STARTS_AT = time(8, 0)
DEFAULT_ENDS_AT = time(20, 0)
MONDAY_TO_SATURDAY = frozenset(range(6))
_SEARCH_DAYS = 400


class NoSendingDay(ValueError):
    """The window never opens: no weekday is allowed, or it closes before it opens."""


@dataclass(frozen=True, slots=True)
class SendingWindow:
    timezone: str
    starts_at: time = DEFAULT_STARTS_AT
    ends_at: time = DEFAULT_ENDS_AT
    weekdays: frozenset[int] = MONDAY_TO_SATURDAY

    def is_sending_day(self, day: date, closed: AbstractSet[date]) -> bool:
        return day.weekday() in self.weekdays and day not in closed


def next_opening(
    now: datetime, window: SendingWindow, closed: AbstractSet[date]
) -> datetime | None:
    """None when ``now`` is inside the window; else the next opening (UTC)."""
    if window.starts_at >= window.ends_at or not window.weekdays:
        raise NoSendingDay(
            f"janela de envio vazia: {window.starts_at:%H:%M}–{window.ends_at:%H:%M}, "
            f"dias {sorted(window.weekdays)}"
        )
    zone = ZoneInfo(window.timezone)
    local = now.astimezone(zone)
    today = local.date()
    if window.is_sending_day(today, closed):
        if window.starts_at <= local.time() < window.ends_at:
            return None
        if local.time() < window.starts_at:
            return _at(today, window.starts_at, zone)
    for offset in range(1, _SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if window.is_sending_day(day, closed):
            return _at(day, window.starts_at, zone)
    raise NoSendingDay(f"nenhum dia de envio nos próximos {_SEARCH_DAYS} dias")


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def years_ahead(now: datetime) -> tuple[int, int]:
    """The years a next opening can fall in (this one and the next)."""
    return (now.year, now.year + 1)
