"""The process review page's rules: the draft form, the comparison charts, the figures table.

Rules:
- The draft starts as the current flow. Each stage row can be kept or removed, moved (its
  position number; a new stage numbered like another goes before it; other ties keep the
  flow's order), and given other planned days or counting. One
  new stage can be added per step (a name, planned days, counting, and optionally the hours it
  would take, since orders never went through it); its key comes from its name.
- A field that cannot be read is a message next to it, in Portuguese, and the draft is not
  simulated until it is fixed. A draft with no stage is refused the same way.
- "Aplicar sugestão" sets a stage's planned days to the suggested figure in the draft.
- Charts compare current and draft: on-time rate (percent bars), lead time (median bar, p90
  tick), and each stage's median time (current beside draft).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from console.domain.charts import (
    BarChart,
    BarInput,
    bar_chart,
    duration_chart,
    duration_text,
    durations_text,
    percent_text,
)

STATE_LABELS = {"scheduled": "em dia", "due": "revisão pendente", "late": "revisão atrasada"}
COUNTING_LABELS = {"business": "dias úteis", "calendar": "dias corridos"}
MAX_DAYS = 365
MAX_HOURS = 24 * 365


@dataclass(frozen=True, slots=True)
class DraftRow:
    key: str
    name: str
    planned_days: int
    counting: str
    keep: bool = True
    position: int = 0
    typed_hours: float | None = None
    new: bool = False
    origin: int = -1
    """The stage's index in the current flow (its form fields' number); -1 for a new one."""


def rows_of(stages: Sequence[Mapping[str, Any]]) -> list[DraftRow]:
    """The current flow as draft rows."""
    return [
        DraftRow(str(s["key"]), str(s["name"]), int(s["planned_days"]), str(s["counting"]),
                 position=index + 1, origin=index)
        for index, s in enumerate(stages)
    ]  # fmt: skip


def slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64] or "nova-etapa"


def _days(text: str, field: str, errors: dict[str, str]) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        errors[field] = "Use um número inteiro de dias."
        return None
    if not 0 <= value <= MAX_DAYS:
        errors[field] = f"Use de 0 a {MAX_DAYS} dias."
        return None
    return value


def read_draft(
    stages: Sequence[Mapping[str, Any]], form: Mapping[str, str]
) -> tuple[list[DraftRow], dict[str, str]]:
    """The draft rows the form describes, and the fields it could not read."""
    errors: dict[str, str] = {}
    rows = []
    for index, row in enumerate(rows_of(stages)):
        prefix = f"etapa-{index}"
        if f"{prefix}-dias" not in form:
            rows.append(row)
            continue
        days = _days(form.get(f"{prefix}-dias", ""), f"{prefix}-dias", errors)
        position = _days(form.get(f"{prefix}-ordem", ""), f"{prefix}-ordem", errors)
        counting = form.get(f"{prefix}-contagem", row.counting)
        rows.append(
            replace(
                row,
                planned_days=row.planned_days if days is None else days,
                counting=counting if counting in COUNTING_LABELS else row.counting,
                keep=form.get(f"{prefix}-manter") == "sim",
                position=row.position if position is None else position,
            )
        )
    name = form.get("nova-nome", "").strip()
    if name:
        days = _days(form.get("nova-dias", "1"), "nova-dias", errors)
        position = _days(form.get("nova-ordem", str(len(rows) + 1)), "nova-ordem", errors)
        hours = None
        if form.get("nova-horas", "").strip():
            try:
                hours = float(form["nova-horas"].replace(",", "."))
            except ValueError:
                errors["nova-horas"] = "Use um número de horas (ex.: 4 ou 2,5)."
            else:
                if not 0 <= hours <= MAX_HOURS:
                    errors["nova-horas"] = f"Use de 0 a {MAX_HOURS} horas."
        if len(name) > 200:
            errors["nova-nome"] = "Use no máximo 200 caracteres."
        counting = form.get("nova-contagem", "business")
        rows.append(
            DraftRow(
                key=slug(name),
                name=name,
                planned_days=days or 0,
                counting=counting if counting in COUNTING_LABELS else "business",
                position=position if position is not None else len(rows) + 1,
                typed_hours=hours,
                new=True,
            )
        )
    if not any(row.keep for row in rows):
        errors["etapas"] = "O rascunho precisa de pelo menos uma etapa."
    return ordered(rows), errors


def ordered(rows: Sequence[DraftRow]) -> list[DraftRow]:
    """By position number; a new stage goes before a stage with its number (it is inserted
    there); otherwise equal numbers keep their order."""
    indexed = sorted(enumerate(rows), key=lambda p: (p[1].position, not p[1].new, p[0]))
    return [replace(row, position=rank + 1) for rank, (_, row) in enumerate(indexed)]


def apply_suggestion(rows: Sequence[DraftRow], key: str, days: int) -> list[DraftRow]:
    return [replace(row, planned_days=days) if row.key == key else row for row in rows]


def draft_stages(
    rows: Sequence[DraftRow], stages: Sequence[Mapping[str, Any]], *, with_hours: bool = True
) -> list[dict[str, Any]]:
    """The kept rows as flow stages: a current stage keeps its other settings."""
    by_key = {str(s["key"]): dict(s) for s in stages}
    body = []
    for row in rows:
        if not row.keep:
            continue
        stage = by_key.get(row.key, {}) if not row.new else {}
        stage = {**stage, "key": row.key, "name": row.name, "planned_days": row.planned_days,
                 "counting": row.counting}  # fmt: skip
        if with_hours and row.typed_hours is not None:
            stage["typed_hours"] = row.typed_hours
        body.append(stage)
    return body


def draft_changed(rows: Sequence[DraftRow], stages: Sequence[Mapping[str, Any]]) -> bool:
    return rows_of(stages) != list(rows)


@dataclass(frozen=True, slots=True)
class ComparisonView:
    on_time: BarChart
    lead_time: BarChart
    stages: BarChart
    current_rate: str
    draft_rate: str
    current_median: str
    draft_median: str
    current_p90: str
    draft_p90: str


def _lead_bar(label: str, outcome: Mapping[str, Any]) -> BarInput:
    median, p90 = durations_text(outcome["median_lead_hours"], outcome["p90_lead_hours"])
    return BarInput(
        label,
        float(outcome["median_lead_hours"] or 0.0),
        f"mediana {median} · p90 {p90}",
        marker=outcome["p90_lead_hours"],
        highlighted=label == "Rascunho",
    )


def comparison_view(result: Mapping[str, Any]) -> ComparisonView:
    current, draft = result["current"], result["draft"]
    rates = [
        BarInput("Fluxo atual", 100 * (current["on_time_rate"] or 0.0),
                 percent_text(current["on_time_rate"])),
        BarInput("Rascunho", 100 * (draft["on_time_rate"] or 0.0),
                 percent_text(draft["on_time_rate"]), highlighted=True),
    ]  # fmt: skip
    leads = [
        _lead_bar(label, outcome)
        for label, outcome in (("Fluxo atual", current), ("Rascunho", draft))
    ]
    draft_by_key = {s["key"]: s for s in draft["stages"]}
    stage_rows = []
    keys = [s["key"] for s in current["stages"]]
    keys += [s["key"] for s in draft["stages"] if s["key"] not in keys]
    current_by_key = {s["key"]: s for s in current["stages"]}
    for key in keys:
        before, after = current_by_key.get(key), draft_by_key.get(key)
        name = (before or after or {}).get("name", key)
        if before is not None:
            stage_rows.append(_stage_bar(f"{name} · atual", before, highlighted=False))
        stage_rows.append(
            _stage_bar(f"{name} · rascunho", after, highlighted=True)
            if after is not None
            else BarInput(f"{name} · rascunho", 0.0, "removida", highlighted=True)
        )
    return ComparisonView(
        on_time=bar_chart(rates, unit="%"),
        lead_time=duration_chart(leads),
        stages=duration_chart(stage_rows, label_width=260),
        current_rate=percent_text(current["on_time_rate"]),
        draft_rate=percent_text(draft["on_time_rate"]),
        current_median=duration_text(current["median_lead_hours"]),
        draft_median=duration_text(draft["median_lead_hours"]),
        current_p90=duration_text(current["p90_lead_hours"]),
        draft_p90=duration_text(draft["p90_lead_hours"]),
    )


_SOURCES = {"real": "tempo real", "planned": "tempo previsto", "typed": "tempo informado"}


def _stage_bar(label: str, stage: Mapping[str, Any], *, highlighted: bool) -> BarInput:
    return BarInput(
        label,
        float(stage["median_hours"] or 0.0),
        f"mediana {duration_text(stage['median_hours'])} ({_SOURCES[stage['time_from']]})",
        marker=stage["p90_hours"],
        highlighted=highlighted,
    )


@dataclass(frozen=True, slots=True)
class FigureRow:
    label: str
    current: str
    previous: str


def figure_rows(period: Mapping[str, Any], previous: Mapping[str, Any]) -> list[FigureRow]:
    """The period beside the previous period, as the review table shows them."""
    return [
        FigureRow("OS entregues", str(period["delivered"]), str(previous["delivered"])),
        FigureRow("No prazo prometido", percent_text(period["on_time_rate"]),
                  percent_text(previous["on_time_rate"])),
        FigureRow("Tempo total (mediana)", duration_text(period["median_lead_hours"]),
                  duration_text(previous["median_lead_hours"])),
        FigureRow("Tempo total (p90)", duration_text(period["p90_lead_hours"]),
                  duration_text(previous["p90_lead_hours"])),
    ]  # fmt: skip


def stage_rows(period: Mapping[str, Any], previous: Mapping[str, Any]) -> list[dict[str, str]]:
    before = {s["key"]: s for s in previous["stages"]}
    rows = []
    for stage in period["stages"]:
        old = before.get(stage["key"], {})
        unit = "dia útil" if stage["counting"] == "business" else "dia corrido"
        days = stage["planned_days"]
        rows.append(
            {
                "key": stage["key"],
                "name": stage["name"],
                "planned": f"{days} {unit if days == 1 else unit.replace('dia', 'dias')}".replace(
                    "útil", "úteis" if days != 1 else "útil"
                ).replace("corrido", "corridos" if days != 1 else "corrido"),
                "median": duration_text(stage["median_hours"]),
                "late": percent_text(stage["late_rate"]),
                "previous_median": duration_text(old.get("median_hours")),
                "previous_late": percent_text(old.get("late_rate")),
                "bottleneck": "sim" if period["bottleneck"] == stage["key"] else "",
            }
        )
    return rows
