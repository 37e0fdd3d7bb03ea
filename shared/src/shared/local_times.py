"""Times for people: every time in an answer about a branch's order carries the branch's offset.

A branch in São Paulo reads ``2026-03-06T18:00:00-03:00``, never ``2026-03-06T21:00:00Z``: the
same instant, written as the shop sees it (ISO 8601 with offset). Dates are left as they are.
An unknown or missing zone leaves the value as it is (UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def in_branch_zone(value: Any, timezone: str | None) -> Any:
    """``value`` (a row, a list of rows, a time) with its aware times in ``timezone``."""
    if not timezone:
        return value
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return value
    return _convert(value, zone)


def _convert(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone) if value.tzinfo is not None else value
    if isinstance(value, dict):
        return {key: _convert(item, zone) for key, item in value.items()}
    if isinstance(value, list):
        return [_convert(item, zone) for item in value]
    return value
