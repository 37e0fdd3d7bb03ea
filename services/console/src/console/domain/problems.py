"""Workflow's validation answers as a person reads them: next to the right field, in Portuguese.

Rules:
- Workflow names a field by path in two spellings — its own rules say ``stages[2].planned_days``,
  pydantic's shape check says ``stages.2.planned_days``. Both become the form field's name,
  ``stages-2-planned_days``; a lab status's index is dropped (the row has one control for all).
- Messages workflow already writes in Portuguese (SMS templates, permissions) pass unchanged;
  the English ones known here are translated; an unknown one is kept after "Valor inválido",
  so nothing the person needs is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PATH_PART = re.compile(r"\[(\d+)\]|\.(\d+)(?=\.|$)")

_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"must not be blank", "Preencha este campo."),
        (r"must be ≥ 0", "Use 0 ou mais dias."),
        (r"must be ≤ (\d+)", r"Use no máximo \1."),
        (r"at most (\d+) characters", r"Use no máximo \1 caracteres."),
        (r"must not contain control characters", "Não use caracteres de controle."),
        (r"a flow needs at least one stage", "O fluxo precisa de pelo menos uma etapa."),
        (r"at most (\d+) stages", r"O fluxo pode ter no máximo \1 etapas."),
        (r"duplicate stage key", "Identificador repetido: outra etapa já usa este."),
        (
            r"is not a valid (?:key|code)",
            "Use de 1 a 64 letras minúsculas, números ou hífens, começando por letra ou número.",
        ),
        (
            r"is not a role identifier",
            "Papel inválido: letras minúsculas, números e sublinhado (ex.: technician).",
        ),
        (r"unknown lab status", "Status do laboratório desconhecido."),
        (r"never moves an order", "Este status do laboratório não move a OS; deixe-o sem etapa."),
        (
            r"lab status '?\w+'? is already used by stages\[(\d+)\]",
            "Este status do laboratório já está em outra etapa.",
        ),
        (r"already exists", "Já existe um tipo de OS com este código."),
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
        (r"must be after opens_at", "O fechamento deve ser depois da abertura."),
        (r"must work at least one day", "Marque pelo menos um dia de funcionamento."),
        (r"not a weekday", "Dia da semana inválido."),
        (r"HH:MM", "Informe a hora como HH:MM."),
        (r"repeats", "Esta data já está na lista."),
        (r"must be from (\d+) to (\d+)", r"Use uma data entre \1 e \2."),
        (r"starts_at must be before ends_at", "O início deve ser antes do fim."),
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
