"""The counter form is checked in Portuguese, and intake's refusals land on the right field."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from console.domain.counter_form import (
    CounterForm,
    ItemRow,
    check_counter_form,
    form_errors_from_api,
    order_body,
    parse_typed_date,
    read_counter_form,
)

TODAY = date(2026, 12, 2)
PROPOSED = date(2026, 12, 14)
GOOD = CounterForm(
    branch_id="b1",
    service_type="venda-oculos-grau",
    customer_name="Maria da Silva",
    phone="(11) 98765-4321",
    key="k",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09/12/2026", date(2026, 12, 9)),
        ("9/12/2026", date(2026, 12, 9)),
        ("2026-12-09", date(2026, 12, 9)),
        ("31/02/2026", None),
        ("amanhã", None),
        ("", None),
    ],
)
def test_dates_are_read_as_people_type_them(text: str, expected: date | None) -> None:
    assert parse_typed_date(text) == expected


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"customer_name": ""}, "nome", "Informe o nome do cliente."),
        ({"branch_id": ""}, "filial", "Escolha a filial."),
        ({"service_type": ""}, "tipo", "Escolha o tipo de OS."),
        ({"phone": ""}, "celular", "Informe o celular do cliente."),
        ({"phone": "1234"}, "celular", "Informe um celular brasileiro com DDD"),
        (
            {"items": [ItemRow("lens", "Lente", "0")]},
            "itens-0-quantidade",
            "A quantidade vai de 1 a 100.",
        ),
        ({"date_choice": "outra"}, "data_combinada", "Informe a data combinada"),
        ({"date_choice": "outra", "agreed_date": "32/12"}, "data_combinada", "formato dd/mm/aaaa"),
        (
            {"date_choice": "outra", "agreed_date": "01/12/2026"},
            "data_combinada",
            "não pode estar no passado",
        ),
        (
            {"date_choice": "outra", "agreed_date": "10/12/2026"},
            "confirmo_antes",
            "antes da proposta (14/12/2026)",
        ),
    ],
)
def test_each_problem_is_said_next_to_its_field(
    changes: dict[str, object], field: str, message: str
) -> None:
    errors = check_counter_form(replace(GOOD, **changes), TODAY, PROPOSED).errors  # type: ignore[arg-type]
    assert message in errors[field]


def test_a_date_before_the_proposal_is_kept_once_confirmed() -> None:
    form = replace(GOOD, date_choice="outra", agreed_date="10/12/2026", confirm_earlier=True)
    checked = check_counter_form(form, TODAY, PROPOSED)
    assert checked.errors == {}
    assert checked.promised_date == date(2026, 12, 10)
    assert checked.earlier_than_proposal


def test_today_and_later_dates_need_no_confirmation() -> None:
    for typed in ("14/12/2026", "20/12/2026"):
        checked = check_counter_form(
            replace(GOOD, date_choice="outra", agreed_date=typed), TODAY, PROPOSED
        )
        assert checked.errors == {}


def test_the_proposal_is_sent_as_no_date_so_workflow_keeps_it_proposed() -> None:
    checked = check_counter_form(GOOD, TODAY, PROPOSED)
    assert checked.promised_date is None
    assert "promised_date" not in order_body(GOOD, checked.promised_date)


def test_the_form_becomes_intakes_body_without_blank_item_rows() -> None:
    raw = {
        "filial": "b1",
        "tipo": "troca",
        "nome": " Ana ",
        "celular": "11 98765 4321",
        "aceita_sms": "sim",
        "itens-0-tipo": "frame",
        "itens-0-descricao": "Armação X",
        "itens-0-quantidade": "2",
        "itens-1-descricao": "",
        "laboratorio": "LABX",
        "observacoes": "urgente",
        "chave": "abc",
    }
    form = read_counter_form(raw)
    assert order_body(form, date(2026, 12, 20)) == {
        "branch_id": "b1",
        "service_type": "troca",
        "customer": {"name": "Ana", "phone": "11 98765 4321", "sms_consent": True},
        "items": [{"kind": "frame", "description": "Armação X", "quantity": 2}],
        "promised_date": "2026-12-20",
        "lab_code": "LABX",
        "notes": "urgente",
    }
    assert form.key == "abc"
    assert not read_counter_form({}).sms_consent


def test_a_date_confirmed_before_the_proposal_tells_intake_it_was_on_purpose() -> None:
    form = read_counter_form({"filial": "b1", "tipo": "troca", "confirmo_antes": "sim"})
    assert order_body(form, date(2026, 12, 10))["confirm_before_proposal"] is True
    unconfirmed = read_counter_form({"filial": "b1", "tipo": "troca"})
    assert "confirm_before_proposal" not in order_body(unconfirmed, date(2026, 12, 10))


@pytest.mark.parametrize(
    ("message", "fields", "expected"),
    [
        (
            "customer.phone: not a mobile number; SMS needs a mobile phone",
            {"field": "customer.phone"},
            {"celular": "Este número não é de celular; o SMS precisa de um celular."},
        ),
        (  # as intake says it by default (pt-BR)
            "customer.phone: não é um número de celular; o SMS precisa de um celular",
            {"field": "customer.phone"},
            {"celular": "Este número não é de celular; o SMS precisa de um celular."},
        ),
        (
            "customer.phone: não é um número de telefone válido (confira o DDD e a quantidade"
            " de dígitos)",
            {"field": "customer.phone"},
            {"celular": "Número inválido: confira o DDD e a quantidade de dígitos."},
        ),
        (
            "Validation failed for POST /api/v1/orders",
            {"customer.name": "String should have at least 1 character"},
            {"nome": "Informe o nome do cliente (até 200 caracteres)."},
        ),
        (
            "lab_code: no lab 'X' in this chain",
            {"field": "lab_code"},
            {"laboratorio": "Laboratório desconhecido nesta rede."},
        ),
        (
            "Validation failed",
            {"items.0.description": "too long"},
            {"itens-2-descricao": "Valor inválido neste item."},
        ),
        (
            "something odd",
            {},
            {"form": "A OS não foi aberta: os dados foram recusados. Confira e tente de novo."},
        ),
    ],
)
def test_intakes_refusals_are_mapped_to_the_forms_fields_in_portuguese(
    message: str, fields: dict[str, str], expected: dict[str, str]
) -> None:
    form = replace(GOOD, items=[ItemRow(), ItemRow(), ItemRow("lens", "Lente", "1")])
    assert form_errors_from_api(message, fields, form) == expected
