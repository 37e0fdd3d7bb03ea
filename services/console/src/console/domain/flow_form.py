"""The flow editor's form: stage rows as typed, their order, and the body workflow takes.

Rules:
- A stage row's fields are named ``stages-<i>-<field>``; rows come back in the order of ``i``
  (what the page showed), whatever the order the browser sent them in.
- Moving a row up or down, adding or removing one is a plain function of the draft, so the
  page works without JavaScript (a button posts the form, the server re-renders it).
- Fields this editor does not show (``visible_to_customer``, ``customer_name``, whatever
  workflow adds next) travel in a hidden JSON field per row and go back unchanged on save, so
  they are never lost. The fields the editor shows always win over them.
- A new row's key, left blank, comes from its name (``Montagem final`` → ``montagem-final``);
  an existing row keeps its key, the stable identifier running orders refer to.
- Only what the console cannot send is checked here (days that are not a whole number);
  workflow decides every other rule and its answer is shown next to the field.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

EDITED_FIELDS = (
    "key",
    "name",
    "description",
    "planned_days",
    "counting",
    "responsible_role",
    "pauses_clock",
    "lab_statuses",
    "sms_template",
    "sms_on_reentry",
    "visible_to_customer",
    "customer_name",
)
COUNTINGS = {"business": "dias úteis", "calendar": "dias corridos"}
ROLE_CHOICES = {
    "": "ninguém em especial",
    "attendant": "atendente",
    "technician": "técnico",
    "optician": "óptico",
    "branch_manager": "gerente da filial",
}
# Lab statuses a stage may take; on_hold, cancelled and remake never move an order.
LAB_STATUS_CHOICES = {
    "received": "recebido",
    "in_production": "em produção",
    "surfacing": "surfaçagem",
    "coating": "tratamento",
    "edging": "corte",
    "assembly": "montagem",
    "quality_check": "controle de qualidade",
    "shipped": "enviado",
}
_ROW = re.compile(r"^stages-(\d{1,3})-([a-z_]+)$")
MAX_ROWS = 60


@dataclass(frozen=True, slots=True)
class StageDraft:
    key: str = ""
    name: str = ""
    description: str = ""
    planned_days: str = "1"
    counting: str = "business"
    responsible_role: str = ""
    pauses_clock: bool = False
    lab_statuses: tuple[str, ...] = ()
    sms_template: str = ""
    sms_on_reentry: bool = False
    visible_to_customer: bool = True
    customer_name: str = ""
    is_new: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def extra_json(self) -> str:
        return json.dumps(self.extra, ensure_ascii=False, sort_keys=True) if self.extra else ""


@dataclass(frozen=True, slots=True)
class FlowDraft:
    code: str = ""
    name: str = ""
    active: bool = True
    stages: tuple[StageDraft, ...] = ()


def draft_from_api(service_type: Mapping[str, Any]) -> FlowDraft:
    """The editor's starting point: the type's latest version as workflow answers it."""
    return FlowDraft(
        code=str(service_type.get("code", "")),
        name=str(service_type.get("name", "")),
        active=bool(service_type.get("active", True)),
        stages=tuple(stage_from_api(stage) for stage in service_type.get("stages", [])),
    )


def stage_from_api(stage: Mapping[str, Any]) -> StageDraft:
    days = stage.get("planned_days")
    return StageDraft(
        key=str(stage.get("key") or ""),
        name=str(stage.get("name") or ""),
        description=str(stage.get("description") or ""),
        planned_days="" if days is None else str(days),
        counting=str(stage.get("counting") or "business"),
        responsible_role=str(stage.get("responsible_role") or ""),
        pauses_clock=bool(stage.get("pauses_clock", False)),
        lab_statuses=tuple(str(s) for s in stage.get("lab_statuses") or ()),
        sms_template=str(stage.get("sms_template") or ""),
        sms_on_reentry=bool(stage.get("sms_on_reentry", False)),
        visible_to_customer=bool(stage.get("visible_to_customer", True)),
        customer_name=str(stage.get("customer_name") or ""),
        is_new=False,
        extra={k: v for k, v in stage.items() if k not in EDITED_FIELDS},
    )


def parse_flow_form(pairs: Iterable[tuple[str, str]]) -> FlowDraft:
    """The draft a posted editor form describes (names as the template writes them)."""
    top: dict[str, str] = {}
    rows: dict[int, dict[str, list[str]]] = {}
    for name, value in pairs:
        match = _ROW.match(name)
        if match is None:
            top.setdefault(name, value)
            continue
        index = int(match.group(1))
        if index not in rows and len(rows) >= MAX_ROWS:
            continue
        rows.setdefault(index, {}).setdefault(match.group(2), []).append(value)
    return FlowDraft(
        code=top.get("code", "").strip(),
        name=top.get("name", ""),
        active=top.get("active") == "on",
        stages=tuple(_stage_from_row(rows[index]) for index in sorted(rows)),
    )


def _stage_from_row(row: Mapping[str, list[str]]) -> StageDraft:
    def one(name: str, default: str = "") -> str:
        values = row.get(name)
        return values[-1] if values else default

    return StageDraft(
        key=one("key").strip(),
        name=one("name"),
        description=one("description"),
        planned_days=one("planned_days").strip(),
        counting=one("counting", "business"),
        responsible_role=one("responsible_role").strip(),
        pauses_clock=one("pauses_clock") == "on",
        lab_statuses=tuple(dict.fromkeys(v for v in row.get("lab_statuses", []) if v)),
        sms_template=one("sms_template"),
        sms_on_reentry=one("sms_on_reentry") == "on",
        visible_to_customer=one("visible_to_customer") == "on",
        customer_name=one("customer_name").strip(),
        is_new=one("is_new") == "1",
        extra=_extra_of(one("extra")),
    )


def _extra_of(raw: str) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if k not in EDITED_FIELDS}


# --- moving rows -----------------------------------------------------------------------------

_ACTION = re.compile(r"^(subir|descer|remover)-(\d{1,3})$")


def apply_row_action(draft: FlowDraft, action: str) -> FlowDraft:
    """``adicionar``, ``subir-<i>``, ``descer-<i>``, ``remover-<i>``; anything else: no change."""
    stages = list(draft.stages)
    if action == "adicionar":
        if len(stages) < MAX_ROWS:
            stages.append(StageDraft())
        return replace(draft, stages=tuple(stages))
    match = _ACTION.match(action)
    if match is None:
        return draft
    verb, index = match.group(1), int(match.group(2))
    if not 0 <= index < len(stages):
        return draft
    if verb == "remover":
        del stages[index]
    else:
        other = index - 1 if verb == "subir" else index + 1
        if 0 <= other < len(stages):
            stages[index], stages[other] = stages[other], stages[index]
    return replace(draft, stages=tuple(stages))


# --- what workflow takes ---------------------------------------------------------------------


def slug(text: str) -> str:
    """``Montagem final`` → ``montagem-final``: a key of the shape workflow accepts."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64]


def flow_body(draft: FlowDraft, *, with_code: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON body of ``POST``/``PUT /api/v1/service-types``, or the form's own errors."""
    errors: dict[str, str] = {}
    stages: list[dict[str, Any]] = []
    for index, stage in enumerate(draft.stages):
        days: int | str = stage.planned_days
        if re.fullmatch(r"-?\d{1,6}", stage.planned_days):
            days = int(stage.planned_days)
        else:
            errors[f"stages-{index}-planned_days"] = "Informe os dias previstos em número inteiro."
        stages.append(
            {
                **stage.extra,
                "key": stage.key or (slug(stage.name) if stage.is_new else ""),
                "name": stage.name,
                "description": stage.description,
                "planned_days": days,
                "counting": stage.counting if stage.counting in COUNTINGS else "business",
                "responsible_role": stage.responsible_role or None,
                "pauses_clock": stage.pauses_clock,
                "lab_statuses": list(stage.lab_statuses),
                "sms_template": stage.sms_template if stage.sms_template.strip() else None,
                "sms_on_reentry": stage.sms_on_reentry,
                "visible_to_customer": stage.visible_to_customer,
                "customer_name": stage.customer_name or None,
            }
        )
    body: dict[str, Any] = {"name": draft.name, "active": draft.active, "stages": stages}
    if with_code:
        body = {"code": draft.code, **body}
    return body, errors


def with_active(service_type: Mapping[str, Any], active: bool) -> dict[str, Any]:
    """The ``PUT`` body that keeps the latest flow as it is and only switches it on or off."""
    return {
        "name": service_type["name"],
        "active": active,
        "stages": [dict(stage) for stage in service_type["stages"]],
    }


FIELD_NAMES = {
    "code": "Código",
    "name": "Nome",
    "active": "Ativo",
    "stages": "Etapas",
    "key": "Identificador",
    "description": "Descrição",
    "planned_days": "Dias previstos",
    "counting": "Contagem",
    "responsible_role": "Responsável",
    "pauses_clock": "Relógio pausado",
    "lab_statuses": "Status do laboratório",
    "sms_template": "Mensagem SMS",
    "sms_on_reentry": "Reenviar ao voltar",
    "visible_to_customer": "Visível ao cliente",
    "customer_name": "Nome para o cliente",
}


def error_summary(errors: Mapping[str, str], draft: FlowDraft) -> list[tuple[str, str]]:
    """(field name, "Etapa 3 (Montagem) — Dias previstos: …") for the summary at the top."""
    lines: list[tuple[str, str]] = []
    for name, message in errors.items():
        match = _ROW.match(name)
        if match is None:
            lines.append((name, f"{FIELD_NAMES.get(name, name)}: {message}"))
            continue
        index, field_name = int(match.group(1)), match.group(2)
        stage = draft.stages[index].name.strip() if index < len(draft.stages) else ""
        where = f"Etapa {index + 1}" + (f" ({stage})" if stage else "")
        lines.append((name, f"{where} — {FIELD_NAMES.get(field_name, field_name)}: {message}"))
    return lines


def days_text(planned_days: int, counting: str) -> str:
    """``5 dias úteis``, ``1 dia corrido``, ``0 dias`` (a stage that ends the day it starts)."""
    if planned_days == 0:
        return "no mesmo dia"
    kind = {"business": ("útil", "úteis"), "calendar": ("corrido", "corridos")}.get(counting)
    if planned_days == 1:
        return "1 dia" + (f" {kind[0]}" if kind else "")
    return f"{planned_days} dias" + (f" {kind[1]}" if kind else "")
