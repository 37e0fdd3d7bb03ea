"""Workflow's validation answers as a person reads them: next to the right field, in Portuguese.

Rules:
- Workflow names a field by path in two spellings — its own rules say ``stages[2].planned_days``,
  pydantic's shape check says ``stages.2.planned_days``. Both become the form field's name,
  ``stages-2-planned_days``; a lab status's index is dropped (the row has one control for all).
- Workflow answers the console in Portuguese (it sends no ``Accept-Language``;
  ``shared.problem_texts``); the known messages become a short instruction for the form, each
  entry matching the English text and its Portuguese translation alike, so the wording is the
  same whichever arrives. Messages with no entry that read as Portuguese (SMS templates,
  permissions) pass unchanged; an unknown one is kept after "Valor inválido", so nothing the
  person needs is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PATH_PART = re.compile(r"\[(\d+)\]|\.(\d+)(?=\.|$)")

_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"must not be blank|não pode ficar em branco", "Preencha este campo."),
        (r"must be ≥ 0|deve ser 0 ou mais", "Use 0 ou mais dias."),
        (r"(?:must be ≤|deve ser no máximo) (\d+)", r"Use no máximo \1."),
        (r"(?:at most|no máximo) (\d+) (?:characters|caracteres)", r"Use no máximo \1 caracteres."),
        (
            r"must not contain control characters|não pode ter caracteres de controle",
            "Não use caracteres de controle.",
        ),
        (
            r"a flow needs at least one stage|o fluxo precisa de pelo menos uma etapa",
            "O fluxo precisa de pelo menos uma etapa.",
        ),
        (
            r"(?:at most|no máximo) (\d+) (?:stages|etapas)",
            r"O fluxo pode ter no máximo \1 etapas.",
        ),
        (
            r"duplicate stage key|identificador de etapa .+ repetido",
            "Identificador repetido: outra etapa já usa este.",
        ),
        (
            r"is not a valid (?:key|code)|não é um (?:código|identificador de etapa) válido",
            "Use de 1 a 64 letras minúsculas, números ou hífens, começando por letra ou número.",
        ),
        (
            r"is not a role identifier|não é um identificador de papel",
            "Papel inválido: letras minúsculas, números e sublinhado (ex.: technician).",
        ),
        (
            r"unknown lab status|status do laboratório desconhecido",
            "Status do laboratório desconhecido.",
        ),
        (
            r"never moves an order|nunca move a OS",
            "Este status do laboratório não move a OS; deixe-o sem etapa.",
        ),
        (
            r"lab status '?\w+'? is already used by stages\[\d+\]"
            r"|status do laboratório '?\w+'? já é usado por stages\[\d+\]",
            "Este status do laboratório já está em outra etapa.",
        ),
        (
            r"already exists|service type .+ exists|o tipo de serviço .+ já existe",
            "Já existe um tipo de OS com este código.",
        ),
        (
            r"at least one stage must be visible_to_customer"
            r"|pelo menos uma etapa deve ser visível ao cliente",
            "Marque pelo menos uma etapa como visível ao cliente.",
        ),
        (r"Input should be a valid integer", "Informe um número inteiro."),
        (r"Input should be a valid boolean", "Informe sim ou não."),
        (r"Input should be a valid (?:time|date)", "Data ou hora inválida."),
        (r"Input should be '?business'? or '?calendar'?", "Escolha dias úteis ou corridos."),
        (r"Extra inputs are not permitted", "Campo não aceito pelo serviço."),
        (r"Field required", "Campo obrigatório."),
        # the same refusals as the APIs now write them (shared.problem_texts, pt-BR)
        (r"^campo obrigatório", "Campo obrigatório."),
        (r"^campo desconhecido", "Campo não aceito pelo serviço."),
        (r"^deve ser um número inteiro", "Informe um número inteiro."),
        (r"^deve ser verdadeiro ou falso", "Informe sim ou não."),
        (r"^deve ser (?:uma data|data e hora|um horário)", "Data ou hora inválida."),
        (r"^deve ser '?business'? ou '?calendar'?", "Escolha dias úteis ou corridos."),
        (
            r"must (?:be|close) after opens_at|deve (?:ser|fechar) depois da abertura",
            "O fechamento deve ser depois da abertura.",
        ),
        (
            r"must work at least one day|precisa funcionar pelo menos um dia",
            "Marque pelo menos um dia de funcionamento.",
        ),
        (r"not a weekday|dia da semana inválido", "Dia da semana inválido."),
        (r"HH:MM", "Informe a hora como HH:MM."),
        (r"repeats|\d\d/\d\d/\d{4} já está em ", "Esta data já está na lista."),
        (
            r"(?:must be from|o ano deve ser de) (\d+) (?:to|a) (\d+)",
            r"Use uma data entre \1 e \2.",
        ),
        (
            r"starts_at must be before ends_at|starts_at deve ser antes de ends_at",
            "O início deve ser antes do fim.",
        ),
    )
)
_PORTUGUESE_HINTS = re.compile(r"[ãçéêíóõú]|placeholder|modelo|mensagem|perfil", re.IGNORECASE)


def form_field(path: str) -> str:
    """``stages[2].planned_days`` or ``stages.2.planned_days`` → ``stages-2-planned_days``."""
    cleaned = re.sub(r"^(?:body|data)\.", "", path.strip())
    cleaned = re.sub(r"(\.lab_statuses)(?:\[\d+\]|\.\d+)$", r"\1", cleaned)
    cleaned = _PATH_PART.sub(lambda m: f".{m.group(1) or m.group(2)}", cleaned)
    return cleaned.replace(".", "-")


def in_portuguese(message: str) -> str:
    for pattern, text in _TRANSLATIONS:
        found = pattern.search(message)
        if found:
            return found.expand(text)
    if _PORTUGUESE_HINTS.search(message):
        return message[:1].upper() + message[1:]
    return f"Valor inválido ({message})."


def field_errors(fields: Mapping[str, str]) -> dict[str, str]:
    """API field errors keyed by the form's field names, in Portuguese; the first per field."""
    errors: dict[str, str] = {}
    for path, message in fields.items():
        errors.setdefault(form_field(path), in_portuguese(message))
    return errors
