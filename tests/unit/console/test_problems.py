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
