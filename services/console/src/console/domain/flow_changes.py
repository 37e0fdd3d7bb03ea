"""What changed between two versions of a flow, in the words of the shop.

Workflow's comparison names stages by key and fields by their English names, with positions
counted from 0; people read stage names, field labels in Portuguese and positions from 1.
A field this module does not know is still listed, under its own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from console.domain.flow_form import COUNTINGS, LAB_STATUS_CHOICES, ROLE_CHOICES

FIELD_LABELS = {
    "name": "nome",
    "description": "descrição",
    "planned_days": "dias previstos",
    "counting": "contagem",
    "responsible_role": "responsável",
    "pauses_clock": "relógio pausado",
    "lab_statuses": "status do laboratório",
    "sms_template": "mensagem SMS",
    "position": "posição",
    "visible_to_customer": "visível ao cliente",
    "customer_name": "nome para o cliente",
}


@dataclass(frozen=True, slots=True)
class ChangeLine:
    label: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class StageLine:
    position: int
    name: str
    key: str


@dataclass(frozen=True, slots=True)
class ChangedStage:
    name: str
    key: str
    changes: list[ChangeLine]


@dataclass(frozen=True, slots=True)
class FlowChanges:
    from_version: int
    to_version: int
    unchanged: bool
    name: ChangeLine | None
    added: list[StageLine]
    removed: list[StageLine]
    changed: list[ChangedStage]


def value_text(field: str, value: Any) -> str:
    """One field's value as staff read it: labels, sim/não, positions from 1."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "sim" if value else "não"
    if field == "position" and isinstance(value, int):
        return f"{value + 1}ª"
    if field == "counting":
        return COUNTINGS.get(str(value), str(value))
    if field == "responsible_role":
        return ROLE_CHOICES.get(str(value), str(value))
    if field == "lab_statuses" and isinstance(value, list):
        return ", ".join(LAB_STATUS_CHOICES.get(str(v), str(v)) for v in value)
    if field == "planned_days" and isinstance(value, int):
        return f"{value} dia{'' if value == 1 else 's'}"
    return str(value)


def _line(field: str, before: Any, after: Any) -> ChangeLine:
    return ChangeLine(
        FIELD_LABELS.get(field, field), value_text(field, before), value_text(field, after)
    )


def _placed(entries: list[Mapping[str, Any]]) -> list[StageLine]:
    return [
        StageLine(int(e["position"]) + 1, str(e["stage"]["name"]), str(e["stage"]["key"]))
        for e in entries
    ]


def flow_changes(diff: Mapping[str, Any], stage_names: Mapping[str, str]) -> FlowChanges:
    """Workflow's ``versions/compare`` answer for a page; ``stage_names`` names stages by key."""
    name = diff.get("name")
    return FlowChanges(
        from_version=int(diff["from_version"]),
        to_version=int(diff["to_version"]),
        unchanged=bool(diff.get("unchanged")),
        name=_line("name", name["before"], name["after"]) if name else None,
        added=_placed(diff.get("added", [])),
        removed=_placed(diff.get("removed", [])),
        changed=[
            ChangedStage(
                name=stage_names.get(str(change["key"]), str(change["key"])),
                key=str(change["key"]),
                changes=[_line(c["field"], c["before"], c["after"]) for c in change["changes"]],
            )
            for change in diff.get("changed", [])
        ],
    )
