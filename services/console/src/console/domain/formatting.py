"""How staff and customers read dates, times, phones and names: pt-BR, in the branch's zone.

Rules: dates are dd/mm/aaaa; times HH:MM in the branch's time zone, never UTC; a phone shows
its area code and last two digits only; a customer is greeted by the first name alone. An instant
another system wrote, quoted in a text (a lab's ``occurred_at`` in a refusal), is shown in the
branch's zone first, with what that system sent beside it, offset and all.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "America/Sao_Paulo"
WEEKDAYS = ("seg", "ter", "qua", "qui", "sex", "sáb", "dom")


def parse_instant(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value[:10])


def local(value: datetime, zone: str | None) -> datetime:
    return value.astimezone(ZoneInfo(zone or DEFAULT_ZONE))


def day_text(value: date | datetime | None) -> str:
    """``09/12/2026``; a missing date reads as a dash."""
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y")


def short_day_text(value: date | datetime | None) -> str:
    """``09/12``, for cards where the year is obvious."""
    if value is None:
        return "—"
    return value.strftime("%d/%m")


def moment_text(value: datetime | None, zone: str | None) -> str:
    """``02/12/2026 18:00`` in the branch's zone."""
    if value is None:
        return "—"
    return local(value, zone).strftime("%d/%m/%Y %H:%M")


ISO_INSTANT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
)
"""An instant written by a machine, with its offset: ``2026-12-06T17:07:49.830771+00:00``."""


def instants_in_text(text: str, zone: str | None) -> str:
    """A text that quotes machine instants (a lab's ``occurred_at`` in a refusal) with each one
    read first in the branch's zone, the original kept beside it for whoever wrote it:
    ``06/12/2026 14:07 (2026-12-06T17:07:49.830771+00:00)``. An instant with no offset is left
    as written: its zone is unknown."""

    def readable(match: re.Match[str]) -> str:
        try:
            instant = parse_instant(match.group(0))
        except ValueError:
            return match.group(0)
        return f"{moment_text(instant, zone)} ({match.group(0)})"

    return ISO_INSTANT.sub(readable, text)


def short_moment_text(value: datetime | None, zone: str | None) -> str:
    """``02/12 18:00`` in the branch's zone."""
    if value is None:
        return "—"
    return local(value, zone).strftime("%d/%m %H:%M")


def mask_phone(phone: str | None) -> str:
    """``+5511987654321`` → ``(11) 9****-**21``: enough to recognise, not to dial."""
    if not phone:
        return "—"
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("55") and len(digits) in (12, 13):
        digits = digits[2:]
    if len(digits) < 6:
        return "*" * len(digits)
    area, number = digits[:2], digits[2:]
    hidden = number[0] + "*" * (len(number) - 3) + number[-2:]
    return f"({area}) {hidden[:-4]}-{hidden[-4:]}"


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else ""


def plural(count: int, singular: str, many: str) -> str:
    return f"{count} {singular if count == 1 else many}"
