"""Times for people: every time in an order's answer carries its branch's offset.

A branch in São Paulo reads ``2026-03-06T18:00:00-03:00``, never ``2026-03-06T21:00:00Z``: the
same instant, written as the shop sees it (ISO 8601 with offset). Dates are left as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")


def in_branch_zone(value: T, timezone: str | None) -> T:
    """``value`` (a row, a list of rows, a time) with its aware times in ``timezone``."""
    if not timezone:
        return value
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return value
    return cast(T, _convert(value, zone))  # the same shape, times moved to the zone


def _convert(value: object, zone: ZoneInfo) -> object:
    if isinstance(value, datetime):
        return value.astimezone(zone) if value.tzinfo is not None else value
    if isinstance(value, dict):
        return {key: _convert(item, zone) for key, item in value.items()}
    if isinstance(value, list):
        return [_convert(item, zone) for item in value]
    return value
