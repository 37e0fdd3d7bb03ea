"""A staff action as typed on the order screen: checked, then the body intake expects.

Rules: back, pause, cancel and reopen need a reason; assign needs the person (picked from the
branch's people: their user id; or, when no list could be shown, a name); note
needs its text; reopen needs remake or warranty; cancel needs its confirmation box ticked.
Each problem is said in Portuguese under the field's form name; only the fields that belong
to the action are sent (intake refuses the others).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from console.domain.permissions import NEEDS_REASON, Action

LIMITS = {"motivo": 500, "responsavel": 200, "anotacao": 2000}


@dataclass(frozen=True, slots=True)
class CheckedAction:
    action: Action | None
    body: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def check_action(form: Mapping[str, str]) -> CheckedAction:
    try:
        action = Action(form.get("acao", ""))
    except ValueError:
        return CheckedAction(None, {}, {"acao": "Ação desconhecida; recarregue a página."})
    text = {name: (form.get(name) or "").strip() for name in LIMITS}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"action": action.value}
    if action in NEEDS_REASON:
        _require(errors, text, "motivo", "Informe o motivo.")
        body["reason"] = text["motivo"]
    if action is Action.ASSIGN:
        picked = (form.get("responsavel_id") or "").strip()
        if _is_uuid(picked):
            body["assignee_id"] = picked
        elif "responsavel_id" in form:
            errors["responsavel_id"] = "Escolha quem assume a OS."
        else:
            _require(errors, text, "responsavel", "Informe o nome do responsável.")
            body["assignee"] = text["responsavel"]
    if action is Action.NOTE:
        _require(errors, text, "anotacao", "Escreva a anotação.")
        body["note"] = text["anotacao"]
    if action is Action.REOPEN:
        kind = form.get("tipo_reabertura", "")
        if kind not in ("remake", "warranty"):
            errors["tipo_reabertura"] = "Escolha refação ou garantia."
        body["reopen_kind"] = kind
    seen_version = (form.get("versao") or "").strip()
    if seen_version.isdigit():
        # The state the person acted on: workflow refuses the action if the order has moved
        # since (a double click, or two people on one order), instead of skipping a stage.
        body["expected_version"] = int(seen_version)
    if action is Action.CANCEL and not form.get("confirmo_cancelamento"):
        errors["confirmo_cancelamento"] = "Marque a confirmação para cancelar a OS."
    return CheckedAction(action, body, errors)


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def _require(errors: dict[str, str], text: Mapping[str, str], name: str, message: str) -> None:
    if not text[name]:
        errors[name] = message
    elif len(text[name]) > LIMITS[name]:
        errors[name] = f"Texto longo demais (até {LIMITS[name]} caracteres)."
