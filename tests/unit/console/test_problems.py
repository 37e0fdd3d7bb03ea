"""Workflow's validation answers land next to the right form field, in Portuguese."""

from __future__ import annotations

import pytest

from console.domain.problems import field_errors, form_field, in_portuguese


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("stages[2].planned_days", "stages-2-planned_days"),
        ("stages.2.planned_days", "stages-2-planned_days"),
        ("stages[0].lab_statuses[1]", "stages-0-lab_statuses"),
        ("stages.0.lab_statuses.1", "stages-0-lab_statuses"),
        ("name", "name"),
        ("closures[3].date", "closures-3-date"),
        ("body.stages.1.name", "stages-1-name"),
    ],
)
def test_both_spellings_of_a_field_path_become_the_form_field_name(path: str, field: str) -> None:
    assert form_field(path) == field


@pytest.mark.parametrize(
    ("english", "portuguese"),
    [
        ("must not be blank", "Preencha este campo."),
        ("must be ≥ 0", "Use 0 ou mais dias."),
        ("must be ≤ 365", "Use no máximo 365."),
        ("at most 200 characters", "Use no máximo 200 caracteres."),
        (
            "duplicate stage key 'a' (also stages[0])",
            "Identificador repetido: outra etapa já usa este.",
        ),
        ("Input should be a valid integer, unable to parse string", "Informe um número inteiro."),
        ("must be after opens_at (09:00)", "O fechamento deve ser depois da abertura."),
    ],
)
def test_known_english_messages_are_translated(english: str, portuguese: str) -> None:
    assert in_portuguese(english) == portuguese


def test_messages_workflow_already_writes_in_portuguese_pass_unchanged() -> None:
    message = "placeholder desconhecido {nomee}; use um de: {nome}"
    assert in_portuguese(message) == "Placeholder desconhecido {nomee}; use um de: {nome}"


def test_an_unknown_message_is_kept_so_nothing_the_person_needs_is_hidden() -> None:
    assert in_portuguese("something new") == "Valor inválido (something new)."


def test_the_first_problem_of_a_field_is_the_one_shown() -> None:
    errors = field_errors({"stages[0].name": "must not be blank", "stages.0.name": "other"})
    assert errors == {"stages-0-name": "Preencha este campo."}


def test_the_apis_english_refusals_reach_a_person_in_portuguese() -> None:
    import httpx

    from console.adapters.api_client import refusal_from

    not_found = httpx.Response(404, json={"detail": "service type 'x' not found"})
    assert refusal_from(not_found).message.startswith("Não encontrado")
    invalid = httpx.Response(
        400,
        json={
            "detail": "Validation failed for GET /api/v1/x",
            "extra": [{"key": "code", "message": "bad"}],
        },
    )
    refusal = refusal_from(invalid)
    assert refusal.message == "Dados inválidos."
    assert refusal.fields == {"code": "bad"}
    kept = httpx.Response(403, json={"detail": "O perfil atendente não pode criar tipos de OS."})
    assert refusal_from(kept).message == "O perfil atendente não pode criar tipos de OS."


def test_the_apis_portuguese_validation_summary_is_replaced_too() -> None:
    import httpx

    from console.adapters.api_client import refusal_from

    invalid = httpx.Response(
        400,
        json={
            "detail": "Dados inválidos em POST /api/v1/orders — code: campo obrigatório",
            "extra": [{"key": "code", "message": "campo obrigatório"}],
        },
    )
    refusal = refusal_from(invalid)
    assert refusal.message == "Dados inválidos."
    assert refusal.fields == {"code": "campo obrigatório"}


def test_the_apis_portuguese_field_texts_read_as_the_english_ones_did() -> None:
    from console.domain.problems import in_portuguese

    assert in_portuguese("campo obrigatório") == in_portuguese("Field required")
    assert in_portuguese("campo desconhecido") == in_portuguese("Extra inputs are not permitted")
    assert in_portuguese("deve ser um número inteiro") == "Informe um número inteiro."
    assert in_portuguese("deve ser 'business' ou 'calendar'") == "Escolha dias úteis ou corridos."


@pytest.mark.parametrize(
    ("english", "shown"),
    [
        ("'Óculos' is not a valid code; use 1–64 lower-case letters, digits or hyphens, "
         "starting with a letter or digit",
         "Use de 1 a 64 letras minúsculas, números ou hífens, começando por letra ou número."),
        ("'A B' is not a valid key; use 1–64 lower-case letters, digits or hyphens, "
         "starting with a letter or digit",
         "Use de 1 a 64 letras minúsculas, números ou hífens, começando por letra ou número."),
        ("must not be blank", "Preencha este campo."),
        ("at most 200 characters", "Use no máximo 200 caracteres."),
        ("must not contain control characters", "Não use caracteres de controle."),
        ("a flow needs at least one stage", "O fluxo precisa de pelo menos uma etapa."),
        ("at most 50 stages", "O fluxo pode ter no máximo 50 etapas."),
        ("duplicate stage key 'a' (also stages[0])",
         "Identificador repetido: outra etapa já usa este."),
        ("must be ≥ 0", "Use 0 ou mais dias."),
        ("must be ≤ 365", "Use no máximo 365."),
        ("'Gerente' is not a role identifier (lower-case letters, digits, underscores)",
         "Papel inválido: letras minúsculas, números e sublinhado (ex.: technician)."),
        ("unknown lab status 'x'; known: received, shipped", "Status do laboratório desconhecido."),
        ("lab status 'remake' never moves an order (it goes on the timeline and the order stays "
         "where it is); map it to no stage",
         "Este status do laboratório não move a OS; deixe-o sem etapa."),
        ("lab status 'received' is already used by stages[1]",
         "Este status do laboratório já está em outra etapa."),
        ("[7] not a weekday: 0 = Monday … 6 = Sunday", "Dia da semana inválido."),
        ("not a weekday: 0 = Monday … 6 = Sunday", "Dia da semana inválido."),
        ("the branch must work at least one day", "Marque pelo menos um dia de funcionamento."),
        ("a local wall-clock time in hours and minutes (HH:MM), no time zone",
         "Informe a hora como HH:MM."),
        ("must be after opens_at (09:00)", "O fechamento deve ser depois da abertura."),
        ("must be from 2000 to 2100", "Use uma data entre 2000 e 2100."),
        ("15/08/2027 repeats municipal_holidays[0]", "Esta data já está na lista."),
        # shown as "Valor inválido (<the English>)" until workflow answered in Portuguese
        ("sábado must close after opens_at (09:00)", "O fechamento deve ser depois da abertura."),
        ("at least one stage must be visible_to_customer (the customer's page shows them)",
         "Marque pelo menos uma etapa como visível ao cliente."),
        ("service type 'troca' exists; change it with PUT",
         "Já existe um tipo de OS com este código."),
    ],
)  # fmt: skip
def test_workflows_flow_and_calendar_refusals_read_the_same_in_portuguese(
    english: str, shown: str
) -> None:
    """Workflow answers the console in Portuguese (shared.problem_texts); each form shows the
    same words as for its English text."""
    from shared.problem_texts import PORTUGUESE, localize

    portuguese = localize(english, PORTUGUESE)
    assert portuguese != english
    assert in_portuguese(portuguese) == shown
    assert in_portuguese(english) == shown
    field = "stages[0].name" if "stage" in english else "closures[0].date"
    assert field_errors({field: portuguese}) == field_errors({field: english})


def test_a_whole_refusal_reads_the_same_in_portuguese() -> None:
    """The process review shows a refusal's whole detail: the first known problem, as before."""
    from shared.problem_texts import PORTUGUESE, localize

    detail = (
        "code: 'X' is not a valid code; use 1–64 lower-case letters, digits or hyphens, starting "
        "with a letter or digit; name: must not be blank; stages[0].planned_days: must be ≥ 0"
    )
    assert in_portuguese(localize(detail, PORTUGUESE)) == in_portuguese(detail)
    assert in_portuguese(localize(detail, PORTUGUESE)) == "Preencha este campo."
