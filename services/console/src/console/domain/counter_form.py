"""The counter form (nova OS): read, checked in Portuguese, turned into intake's body.

Rules:
- Name, branch, service type and a mobile number are required; item rows left without a
  description are blank rows and ignored; a quantity is 1 to 100.
- The promised date is the proposal (sent as none: workflow keeps it as *proposta*) unless the
  attendant chose another (*combinada*): it is typed dd/mm/aaaa (or the browser's aaaa-mm-dd),
  not in the past (the branch's today), and a date before the proposal needs the box
  "Confirmo a data combinada antes da proposta" ticked.
- Intake's own refusals name API fields (``customer.phone``); they are mapped back to the form
  field and said in Portuguese.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from console.domain.formatting import day_text

ITEM_ROWS = 3
MAX_ITEM_ROWS = 20
ITEM_KINDS = ("lens", "frame", "contact_lens", "treatment", "service", "other")
PROPOSED, AGREED = "proposta", "outra"


@dataclass(frozen=True, slots=True)
class ItemRow:
    kind: str = "lens"
    description: str = ""
    quantity: str = "1"


@dataclass(frozen=True, slots=True)
class CounterForm:
    branch_id: str = ""
    service_type: str = ""
    customer_name: str = ""
    phone: str = ""
    sms_consent: bool = True
    items: list[ItemRow] = field(default_factory=lambda: [ItemRow() for _ in range(ITEM_ROWS)])
    lab_code: str = ""
    notes: str = ""
    date_choice: str = PROPOSED
    agreed_date: str = ""
    confirm_earlier: bool = False
    key: str = ""


def read_counter_form(raw: Mapping[str, str]) -> CounterForm:
    def text(name: str) -> str:
        return (raw.get(name) or "").strip()

    try:
        rows = max(ITEM_ROWS, min(int(raw.get("linhas") or ITEM_ROWS), MAX_ITEM_ROWS))
    except ValueError:
        rows = ITEM_ROWS
    items = [
        ItemRow(
            kind=text(f"itens-{i}-tipo") or "lens",
            description=text(f"itens-{i}-descricao"),
            quantity=text(f"itens-{i}-quantidade") or "1",
        )
        for i in range(rows)
    ]
    return CounterForm(
        branch_id=text("filial"),
        service_type=text("tipo"),
        customer_name=text("nome"),
        phone=text("celular"),
        sms_consent=bool(raw.get("aceita_sms")),
        items=items,
        lab_code=text("laboratorio"),
        notes=text("observacoes"),
        date_choice=AGREED if raw.get("data_escolha") == AGREED else PROPOSED,
        agreed_date=text("data_combinada"),
        confirm_earlier=bool(raw.get("confirmo_antes")),
        key=text("chave"),
    )


def parse_typed_date(text: str) -> date | None:
    """``09/12/2026``, ``9/12/2026`` or ``2026-12-09``; anything else is ``None``."""
    text = text.strip()
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        day, month, year = (int(g) for g in match.groups())
    elif match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class CheckedForm:
    errors: dict[str, str]
    promised_date: date | None
    """The agreed date; ``None`` keeps the proposal."""
    earlier_than_proposal: bool = False


def check_counter_form(form: CounterForm, today: date, proposed: date | None) -> CheckedForm:
    errors: dict[str, str] = {}
    if not form.branch_id:
        errors["filial"] = "Escolha a filial."
    if not form.service_type:
        errors["tipo"] = "Escolha o tipo de OS."
    if not form.customer_name:
        errors["nome"] = "Informe o nome do cliente."
    elif len(form.customer_name) > 200:
        errors["nome"] = "Nome longo demais (até 200 caracteres)."
    digits = re.sub(r"\D", "", form.phone)
    if not form.phone:
        errors["celular"] = "Informe o celular do cliente."
    elif not 10 <= len(digits) <= 13:
        errors["celular"] = PHONE_HELP
    for index, item in enumerate(form.items):
        if not item.description:
            continue
        if item.kind not in ITEM_KINDS:
            errors[f"itens-{index}-tipo"] = "Escolha o tipo do item."
        if len(item.description) > 200:
            errors[f"itens-{index}-descricao"] = "Descrição longa demais (até 200 caracteres)."
        if not item.quantity.isdigit() or not 1 <= int(item.quantity) <= 100:
            errors[f"itens-{index}-quantidade"] = "A quantidade vai de 1 a 100."
    if len(form.notes) > 2000:
        errors["observacoes"] = "Observações longas demais (até 2000 caracteres)."
    if form.date_choice != AGREED:
        return CheckedForm(errors, None)
    agreed = parse_typed_date(form.agreed_date)
    earlier = False
    if not form.agreed_date:
        errors["data_combinada"] = "Informe a data combinada com o cliente."
    elif agreed is None:
        errors["data_combinada"] = "Informe a data no formato dd/mm/aaaa, por exemplo 09/12/2026."
    elif agreed < today:
        errors["data_combinada"] = (
            f"A data combinada não pode estar no passado (hoje é {day_text(today)})."
        )
    elif proposed is not None and agreed < proposed:
        earlier = True
        if not form.confirm_earlier:
            errors["confirmo_antes"] = (
                f"A data combinada é antes da proposta ({day_text(proposed)}): "
                "marque a confirmação para mantê-la."
            )
    return CheckedForm(errors, agreed, earlier)


def order_body(form: CounterForm, promised_date: date | None) -> dict[str, Any]:
    """Intake's ``POST /api/v1/orders`` body for a checked form."""
    body: dict[str, Any] = {
        "branch_id": form.branch_id,
        "service_type": form.service_type,
        "customer": {
            "name": form.customer_name,
            "phone": form.phone,
            "sms_consent": form.sms_consent,
        },
        "items": [
            {"kind": item.kind, "description": item.description, "quantity": int(item.quantity)}
            for item in form.items
            if item.description
        ],
    }
    if promised_date is not None:
        body["promised_date"] = promised_date.isoformat()
        if form.confirm_earlier:
            body["confirm_before_proposal"] = True
    if form.lab_code:
        body["lab_code"] = form.lab_code
    if form.notes:
        body["notes"] = form.notes
    return body


PHONE_HELP = "Informe um celular brasileiro com DDD, por exemplo (11) 98765-4321."
API_FIELDS = {
    "branch_id": ("filial", "Filial desconhecida ou fora do seu acesso."),
    "service_type": ("tipo", "Tipo de OS desconhecido ou desativado."),
    "customer.name": ("nome", "Informe o nome do cliente (até 200 caracteres)."),
    "customer.phone": ("celular", PHONE_HELP),
    "customer.sms_consent": ("aceita_sms", "Valor inválido."),
    "lab_code": ("laboratorio", "Laboratório desconhecido nesta rede."),
    "notes": ("observacoes", "Observações longas demais (até 2000 caracteres)."),
    "promised_date": ("data_combinada", "Data inválida."),
}
PHONE_PROBLEMS = {
    ("not a mobile number", "não é um número de celular"): (
        "Este número não é de celular; o SMS precisa de um celular."
    ),
    ("check the area code", "confira o DDD"): (
        "Número inválido: confira o DDD e a quantidade de dígitos."
    ),
}
"""Intake's refusals of ``customer.phone``, in either of its languages, as the form says them."""


def form_errors_from_api(
    message: str, fields: Mapping[str, str], form: CounterForm
) -> dict[str, str]:
    """Intake's 400 (a message ``field: problem`` and/or named fields) as form errors."""
    named = {key for key in fields if key not in ("field", "fields")}
    if "field" in fields:
        named.add(fields["field"])
    if match := re.match(r"([a-z_.\d]+): ", message):
        named.add(match.group(1))
    rows = [index for index, item in enumerate(form.items) if item.description]
    errors: dict[str, str] = {}
    for key in sorted(named):
        if key in API_FIELDS:
            name, text = API_FIELDS[key]
            if key == "customer.phone":
                text = next(
                    (
                        said
                        for known, said in PHONE_PROBLEMS.items()
                        if any(k in message for k in known)
                    ),
                    text,
                )
            errors[name] = text
        elif item := re.fullmatch(r"items\.(\d+)\.(\w+)", key):
            index, part = int(item.group(1)), item.group(2)
            row = rows[index] if index < len(rows) else 0
            name = {"kind": "tipo", "quantity": "quantidade"}.get(part, "descricao")
            errors[f"itens-{row}-{name}"] = "Valor inválido neste item."
    if not errors:
        errors["form"] = "A OS não foi aberta: os dados foram recusados. Confira e tente de novo."
    return errors
