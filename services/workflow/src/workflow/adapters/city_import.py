"""A city's municipal holidays from a file a person uploads: iCalendar (.ics) or CSV.

- **iCalendar**: each ``VEVENT`` is a holiday: its ``SUMMARY`` is the name, its ``DTSTART`` a
  whole day (``VALUE=DATE``); an event over several days (``DTEND`` later) closes each of
  them. A timed event or a repeating one (``RRULE``) is refused: a municipal calendar gives
  each year's days, and a guess at a repetition could close a shop on the wrong day.
- **CSV**: a header naming ``date`` (or ``data``) and ``name`` (or ``nome``), optionally
  ``source`` (or ``fonte``); dates as ``2026-01-20`` or ``20/01/2026``; ``,`` or ``;``.
- Every problem is named in Portuguese with where it is (the line, or the event's name); a file
  with any problem imports nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_DAYS = 1000
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class ImportedDay:
    day: date
    name: str
    source: str | None = None


class BadHolidayFile(ValueError):
    """The file cannot be imported; ``problems`` says why, in Portuguese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_holiday_file(content: bytes, content_type: str | None) -> list[ImportedDay]:
    """The days of an .ics or CSV file (by ``content_type``, else by its first line)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadHolidayFile(["o arquivo não está em UTF-8"]) from None
    if not text.strip():
        raise BadHolidayFile(["o arquivo está vazio"])
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "text/calendar" or text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        days = _from_ics(text)
    else:
        days = _from_csv(text)
    if not days:
        raise BadHolidayFile(["o arquivo não tem nenhum feriado"])
    if len(days) > MAX_DAYS:
        raise BadHolidayFile([f"no máximo {MAX_DAYS} dias por arquivo (veio {len(days)})"])
    return days


def _from_ics(text: str) -> list[ImportedDay]:
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as error:
        raise BadHolidayFile([f"arquivo iCalendar ilegível: {error}"]) from None
    days: list[ImportedDay] = []
    problems: list[str] = []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        name = str(event.get("SUMMARY") or "").strip()
        where = f"evento {number}" + (f" (“{name}”)" if name else "")
        if not name:
            problems.append(f"{where}: sem nome (SUMMARY)")
            continue
        if event.get("RRULE") is not None:
            problems.append(f"{where}: repetição (RRULE) não é aceita; liste o dia de cada ano")
            continue
        start = event.decoded("DTSTART") if event.get("DTSTART") is not None else None
        if not isinstance(start, date) or isinstance(start, datetime):
            problems.append(f"{where}: precisa ser um dia inteiro (DTSTART;VALUE=DATE)")
            continue
        end = event.decoded("DTEND") if event.get("DTEND") is not None else None
        last = start if not isinstance(end, date) or end <= start else end - timedelta(days=1)
        if (last - start).days > 31:
            problems.append(f"{where}: mais de 31 dias seguidos")
            continue
        day = start
        while day <= last:
            problems.extend(_check(where, day, name))
            days.append(ImportedDay(day, name[:MAX_NAME], _text(event.get("DESCRIPTION"))))
            day += timedelta(days=1)
    if problems:
        raise BadHolidayFile(problems)
    return days


def _from_csv(text: str) -> list[ImportedDay]:
    dialect = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect)
    header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    date_col = header.get("date") or header.get("data")
    name_col = header.get("name") or header.get("nome")
    source_col = header.get("source") or header.get("fonte")
    if date_col is None or name_col is None:
        raise BadHolidayFile(
            ["CSV: a primeira linha deve nomear as colunas date (ou data) e name (ou nome)"]
        )
    days: list[ImportedDay] = []
    problems: list[str] = []
    for row in reader:
        where = f"linha {reader.line_num}"
        raw_day = (row.get(date_col) or "").strip()
        name = (row.get(name_col) or "").strip()
        if not raw_day and not name:
            continue
        day = _date(raw_day)
        if day is None:
            problems.append(f"{where}: data “{raw_day}” inválida (use 2026-01-20 ou 20/01/2026)")
            continue
        if not name:
            problems.append(f"{where}: sem nome do feriado")
            continue
        problems.extend(_check(where, day, name))
        source = (row.get(source_col) or "").strip() if source_col else ""
        days.append(ImportedDay(day, name[:MAX_NAME], source[:500] or None))
    if problems:
        raise BadHolidayFile(problems)
    return days


def _date(text: str) -> date | None:
    """``2026-01-20`` or ``20/01/2026``; None for anything else (or an impossible day)."""
    try:
        if "/" in text:
            day, month, year = text.split("/")
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _check(where: str, day: date, name: str) -> list[str]:
    problems = []
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        problems.append(f"{where}: {day:%d/%m/%Y} fora de {FIRST_YEAR}–{LAST_YEAR}")
    if len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        problems.append(f"{where}: nome longo demais ou com caracteres de controle")
    return problems


def _text(value: object) -> str | None:
    text = str(value or "").strip()
    return text[:500] or None
