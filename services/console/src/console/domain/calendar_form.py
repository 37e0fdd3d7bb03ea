"""A branch's calendar as staff read and change it: week, hours, closures, the SMS window.

Rules:
- Workflow keeps the whole calendar in one document and a ``PUT`` replaces it, so every change
  here starts from the settings workflow answered and changes one thing: the week and hours,
  or one closure or municipal holiday added or removed. The rest goes back as it came.
- Dates are typed as ``dd/mm/aaaa`` (``25/12/2026``); ``2026-12-25`` is accepted too. Times
  as ``HH:MM``. A date or time the console cannot read is an error next to the field, before
  any API is called; everything else is workflow's (or intake's) to judge.
- Weekdays are numbered as the APIs number them: 0 = Monday … 6 = Sunday.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

WEEKDAYS = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
SHORT_WEEKDAYS = ("seg", "ter", "qua", "qui", "sex", "sáb", "dom")
WORKFLOW_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_BRANCH_OUTPUT_ONLY = frozenset(
    {
        "branch_id",
        "chain_id",
        "created_at",
        "updated_at",
        "sms_starts_at",
        "sms_ends_at",
        "sms_weekdays",
    }
)
_TIME = re.compile(r"^([01]?\d|2[0-3])[:h]([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class DayHours:
    weekday: int
    name: str
    open: bool
    opens_at: str
    closes_at: str


def parse_day_text(text: str) -> date | None:
    """``25/12/2026``, ``5/1/2027`` or ``2026-12-25``; anything else is ``None``."""
    text = text.strip()
    found = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        return None
    return None


def parse_time_text(text: str) -> str | None:
    """``9:00``, ``09h00`` or ``18:30`` → ``HH:MM``; anything else is ``None``."""
    found = _TIME.fullmatch(text.strip())
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else None


def hhmm(value: str | None) -> str:
    """``09:00:00`` (as the APIs answer) → ``09:00``."""
    return (value or "")[:5]


def settings_body(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Workflow's answer (``settings``) as the ``PUT`` body that keeps everything as it is."""
    return {
        "working_weekdays": list(settings.get("working_weekdays", [])),
        "opens_at": hhmm(settings.get("opens_at")),
        "closes_at": hhmm(settings.get("closes_at")),
        "closing_by_weekday": {
            str(day): hhmm(value) for day, value in settings.get("closing_by_weekday", {}).items()
        },
        "municipal_holidays": [
            {
                "date": str(day["date"]),
                "description": str(day["description"]),
                "every_year": bool(day.get("every_year", False)),
            }
            for day in settings.get("municipal_holidays", [])
        ],
        "closures": [
            {"date": str(day["date"]), "description": str(day["description"])}
            for day in settings.get("closures", [])
        ],
    }


def week_hours(settings: Mapping[str, Any]) -> list[DayHours]:
    """Each weekday: open or closed, and its hours (a later or earlier closing on some days)."""
    working = set(settings.get("working_weekdays", []))
    closing = {int(k): hhmm(v) for k, v in settings.get("closing_by_weekday", {}).items()}
    opens, closes = hhmm(settings.get("opens_at")), hhmm(settings.get("closes_at"))
    return [
        DayHours(day, WEEKDAYS[day], day in working, opens, closing.get(day, closes))
        for day in range(7)
    ]


def week_text(settings: Mapping[str, Any]) -> str:
    """``seg–sex 09:00–18:00 · sáb 09:00–13:00``: runs of days with the same hours."""
    runs: list[tuple[int, int, str]] = []
    for day in week_hours(settings):
        if not day.open:
            continue
        hours = f"{day.opens_at}–{day.closes_at}"
        if runs and runs[-1][1] == day.weekday - 1 and runs[-1][2] == hours:
            runs[-1] = (runs[-1][0], day.weekday, hours)
        else:
            runs.append((day.weekday, day.weekday, hours))
    parts = []
    for first, last, hours in runs:
        days = SHORT_WEEKDAYS[first]
        if last != first:
            days += ("–" if last > first + 1 else ", ") + SHORT_WEEKDAYS[last]
        parts.append(f"{days} {hours}")
    return " · ".join(parts) or "fechada todos os dias"


def weekdays_text(days: list[int]) -> str:
    return ", ".join(SHORT_WEEKDAYS[d] for d in sorted(days) if 0 <= d <= 6) or "nenhum dia"


def hours_change(
    settings: Mapping[str, Any], form: Mapping[str, list[str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body with the week and hours the form gives (``dia-<d>``, ``abre``, ``fecha``,
    ``fecha-<d>`` for a day that closes at another time), or the fields it could not read."""
    body = settings_body(settings)
    errors: dict[str, str] = {}

    def first(name: str) -> str:
        values = form.get(name)
        return values[0] if values else ""

    body["working_weekdays"] = [d for d in range(7) if first(f"dia-{d}") == "on"]
    for name, key in (("abre", "opens_at"), ("fecha", "closes_at")):
        parsed = parse_time_text(first(name))
        if parsed is None:
            errors[name] = "Informe a hora como HH:MM, ex.: 09:00."
        else:
            body[key] = parsed
    closing: dict[str, str] = {}
    for day in range(7):
        typed = first(f"fecha-{day}").strip()
        if not typed or day not in body["working_weekdays"]:
            continue
        parsed = parse_time_text(typed)
        if parsed is None:
            errors[f"fecha-{day}"] = "Informe a hora como HH:MM, ex.: 13:00."
        elif parsed != body["closes_at"]:
            closing[str(day)] = parsed
    body["closing_by_weekday"] = closing
    return body, errors


def day_added(
    settings: Mapping[str, Any], kind: str, typed_date: str, description: str, every_year: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body with one more closure (``kind`` ``closures``) or municipal holiday."""
    body = settings_body(settings)
    errors: dict[str, str] = {}
    day = parse_day_text(typed_date)
    if day is None:
        errors["data"] = "Informe a data como dd/mm/aaaa, ex.: 26/12/2026."
    if not description.strip():
        errors["descricao"] = "Diga o motivo, ex.: Inventário."
    if errors or day is None:
        return body, errors
    entry: dict[str, Any] = {"date": day.isoformat(), "description": description.strip()}
    if kind == "municipal_holidays":
        entry["every_year"] = every_year
    body[kind] = sorted([*body[kind], entry], key=lambda e: str(e["date"]))
    return body, errors


def day_removed(settings: Mapping[str, Any], kind: str, iso_date: str) -> dict[str, Any]:
    """The body without the closure or municipal holiday of that date."""
    body = settings_body(settings)
    body[kind] = [entry for entry in body[kind] if entry["date"] != iso_date]
    return body


def sending_window_body(
    branch: Mapping[str, Any], form: Mapping[str, list[str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Intake's ``PUT /branches/{id}`` body: the branch as it is, with the SMS window typed."""
    errors: dict[str, str] = {}

    def first(name: str) -> str:
        values = form.get(name)
        return values[0] if values else ""

    window: dict[str, Any] = {
        "weekdays": [d for d in range(7) if first(f"sms-dia-{d}") == "on"],
    }
    for name, key in (("sms-inicio", "starts_at"), ("sms-fim", "ends_at")):
        parsed = parse_time_text(first(name))
        if parsed is None:
            errors[name] = "Informe a hora como HH:MM, ex.: 08:00."
        else:
            window[key] = parsed
    if not window["weekdays"]:
        errors["sms-dias"] = "Marque pelo menos um dia para enviar SMS."
    # Every field the branch has goes back as it is (address, hours for customers, whatever
    # intake adds): a field intake only answers makes it refuse loudly, never lose data.
    body = {k: v for k, v in branch.items() if k not in _BRANCH_OUTPUT_ONLY}
    body["sending_window"] = window
    return body, errors


def weekday_of(iso_day: str) -> str:
    """``2026-12-25`` → ``sexta``."""
    try:
        return WEEKDAYS[date.fromisoformat(str(iso_day)[:10]).weekday()]
    except ValueError:
        return ""
