"""The review page's rules: the period a person asks for, and the analytics as charts.

Rules:
- The period is two days, both inclusive; by default the last 90 days up to today (in the
  branch's zone). Quick choices are 30, 90 and 365 days. A bad date or a start after the end is
  a message next to the field, and the default period is shown meanwhile.
- Lead times are bars of the median with the p90 as a tick; stage times are bars of the
  average stay with the planned time as a tick; the bottleneck of a flow is the stage whose
  average stay exceeds its planned time by the most hours (none when every stage keeps to plan).
- Each slow stage links to the board of its service type at that stage's column, where its
  open orders are.
- Where a type's orders in the period ran more than one flow version, workflow gives its
  figures per version: each version is its own bar and its own stage chart ("· versão 2").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from console.domain.charts import (
    BarChart,
    BarInput,
    ColumnChart,
    ColumnInput,
    duration_chart,
    durations_text,
    percent_text,
    rate_columns,
)
from console.domain.formatting import short_day_text

QUICK_DAYS = (30, 90, 365)
DEFAULT_DAYS = 90
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def last_days(today: date, days: int) -> Period:
    return Period(today - timedelta(days=days - 1), today)


def parse_period(
    today: date, first: str | None, last: str | None, days: str | None
) -> tuple[Period, dict[str, str]]:
    """The period asked for (``de``/``ate`` dates or ``dias``), and any field errors."""
    errors: dict[str, str] = {}
    if days and days.isdigit() and int(days) in QUICK_DAYS and not (first or last):
        return last_days(today, int(days)), errors
    default = last_days(today, DEFAULT_DAYS)
    if not first and not last:
        return default, errors
    start = _date(first, "de", "Data inicial", errors) if first else default.first
    end = _date(last, "ate", "Data final", errors) if last else today
    if errors or start is None or end is None:
        return default, errors
    if start > end:
        return default, {"de": "A data inicial deve ser antes da data final."}
    return Period(start, end), errors


def typed_day(text: str) -> date:
    """A day typed as ``dd/mm/aaaa`` (or ISO ``aaaa-mm-dd``); ValueError otherwise."""
    text = text.strip()
    if "/" in text:
        day, month, year = text.split("/")
        if len(year) != 4:
            raise ValueError(text)
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)


def _date(text: str, field: str, name: str, errors: dict[str, str]) -> date | None:
    try:
        value = typed_day(text)
    except ValueError:
        errors[field] = f"{name} inválida: use dd/mm/aaaa."
        return None
    if not EARLIEST <= value <= date(2100, 12, 31):
        errors[field] = f"{name} fora do intervalo de 2000 a 2100."
        return None
    return value


@dataclass(frozen=True, slots=True)
class OnTime:
    delivered: int
    on_time: int
    late: int
    rate_text: str
    weeks: ColumnChart | None


def on_time_view(body: Mapping[str, Any]) -> OnTime:
    weeks = [
        ColumnInput(
            label=short_day_text(date.fromisoformat(str(w["week"]))),
            rate=float(w["on_time_rate"] or 0.0),
            detail=f"{w['on_time']} de {w['delivered']} no prazo",
        )
        for w in body.get("weeks", [])
        if w.get("delivered")
    ]
    return OnTime(
        delivered=int(body.get("delivered") or 0),
        on_time=int(body.get("on_time") or 0),
        late=int(body.get("late") or 0),
        rate_text=percent_text(body.get("on_time_rate")),
        weeks=rate_columns(weeks) if weeks else None,
    )


def lead_time_chart(items: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> BarChart:
    rows = [_lead_bar(_versioned(names.get(str(i["key"]), str(i["key"])), i), i) for i in items]
    return duration_chart(rows, label_width=280)  # room for "Venda de óculos de grau · versão 2"


def _lead_bar(label: str, item: Mapping[str, Any]) -> BarInput:
    median, p90 = durations_text(item["median_hours"], item["p90_hours"])
    return BarInput(
        label=label,
        value=float(item["median_hours"] or 0.0),
        value_text=f"{median} · p90 {p90}",
        marker=item["p90_hours"],
        marker_text=f"p90 {p90}",
    )


def bottleneck(items: Sequence[Mapping[str, Any]]) -> int | None:
    """The index of the stage most over its planned time, or None when all keep to plan."""
    worst, excess = None, 0.0
    for index, item in enumerate(items):
        over = float(item.get("avg_hours") or 0.0) - float(item.get("avg_planned_hours") or 0.0)
        if item.get("avg_planned_hours") is not None and over > excess:
            worst, excess = index, over
    return worst


def _versioned(name: str, item: Mapping[str, Any]) -> str:
    """ "Venda de óculos de grau · versão 2" when workflow split the type by flow version."""
    version = item.get("flow_version")
    return name if version is None else f"{name} · versão {version}"


def board_link(service_type: str, stage_key: str, branch_id: str | None) -> str:
    query = {"tipo": service_type, **({"filial": branch_id} if branch_id else {})}
    return f"/?{urlencode(query)}#col-{stage_key}"


@dataclass(frozen=True, slots=True)
class StageChart:
    service_type: str
    name: str
    chart: BarChart
    bottleneck: str | None


def stage_charts(
    items: Sequence[Mapping[str, Any]], names: Mapping[str, str], branch_id: str | None
) -> list[StageChart]:
    """One chart per service type, its stages in flow order, the bottleneck highlighted."""
    by_type: dict[tuple[str, Any], list[Mapping[str, Any]]] = {}
    for item in items:
        by_type.setdefault((str(item["service_type"]), item.get("flow_version")), []).append(item)
    charts = []
    for (code, _version), stages in by_type.items():
        stages.sort(key=lambda s: s.get("position") or 0)
        worst = bottleneck(stages)
        rows = [
            _stage_bar(stage, branch_id, highlighted=index == worst)
            for index, stage in enumerate(stages)
        ]
        charts.append(
            StageChart(
                service_type=code,
                name=_versioned(names.get(code, code), stages[0]),
                chart=duration_chart(rows),
                bottleneck=None if worst is None else str(stages[worst]["stage_name"]),
            )
        )
    return charts


def slowest_chart(
    items: Sequence[Mapping[str, Any]], names: Mapping[str, str], branch_id: str | None
) -> BarChart:
    worst = bottleneck(items)
    several_types = len({str(item["service_type"]) for item in items}) > 1
    rows = [
        _stage_bar(
            item,
            branch_id,
            highlighted=index == worst,
            label=(
                f"{item['stage_name']} · {names.get(str(item['service_type']), '')}"
                if several_types
                else str(item["stage_name"])
            ),
        )
        for index, item in enumerate(items)
    ]
    return duration_chart(rows, label_width=300)


def _stage_bar(
    stage: Mapping[str, Any], branch_id: str | None, *, highlighted: bool, label: str | None = None
) -> BarInput:
    planned = stage.get("avg_planned_hours")
    average, planned_text = durations_text(stage["avg_hours"], planned)
    text = f"média {average}"
    if planned is not None:
        text += f" · previsto {planned_text}"
    return BarInput(
        label=label or str(stage["stage_name"]),
        value=float(stage["avg_hours"] or 0.0),
        value_text=text,
        marker=planned,
        marker_text=f"previsto {planned_text}" if planned is not None else "",
        href=board_link(str(stage["service_type"]), str(stage["stage_key"]), branch_id),
        highlighted=highlighted,
    )
