"""The flow editor's form: rows parsed in order, moved, added, removed; unknown fields kept."""

from __future__ import annotations

import json
from typing import Any

import pytest

from console.domain.flow_form import (
    FlowDraft,
    StageDraft,
    apply_row_action,
    days_text,
    draft_from_api,
    error_summary,
    flow_body,
    parse_flow_form,
    slug,
    with_active,
)

API_TYPE: dict[str, Any] = {
    "code": "reparo",
    "name": "Reparo",
    "active": True,
    "version": 3,
    "stages": [
        {
            "key": "avaliacao",
            "name": "Avaliação técnica",
            "counting": "business",
            "description": "Diagnóstico",
            "lab_statuses": [],
            "pauses_clock": False,
            "planned_days": 1,
            "sms_template": "Olá {nome}!",
            "responsible_role": "technician",
            "visible_to_customer": False,
            "customer_name": "Em avaliação",
        },
        {
            "key": "pronto",
            "name": "Pronto",
            "counting": "calendar",
            "description": "",
            "lab_statuses": ["shipped"],
            "pauses_clock": True,
            "planned_days": 0,
            "sms_template": None,
            "responsible_role": None,
        },
    ],
}


def names(draft: FlowDraft) -> list[str]:
    return [stage.name for stage in draft.stages]


def form_of(draft: FlowDraft) -> list[tuple[str, str]]:
    """What the editor's template posts for a draft (checkboxes only when checked)."""
    pairs = [("code", draft.code), ("name", draft.name)]
    if draft.active:
        pairs.append(("active", "on"))
    for i, s in enumerate(draft.stages):
        p = f"stages-{i}-"
        pairs += [
            (p + "key", s.key),
            (p + "name", s.name),
            (p + "description", s.description),
            (p + "planned_days", s.planned_days),
            (p + "counting", s.counting),
            (p + "responsible_role", s.responsible_role),
            (p + "sms_template", s.sms_template),
            (p + "customer_name", s.customer_name),
            (p + "is_new", "1" if s.is_new else "0"),
        ]
        if s.visible_to_customer:
            pairs.append((p + "visible_to_customer", "on"))
        if s.sms_on_reentry:
            pairs.append((p + "sms_on_reentry", "on"))
        pairs += [(p + "lab_statuses", status) for status in s.lab_statuses]
        if s.pauses_clock:
            pairs.append((p + "pauses_clock", "on"))
        if s.extra:
            pairs.append((p + "extra", s.extra_json))
    return pairs


def test_a_flow_read_from_the_api_posts_back_to_the_same_body_with_unknown_fields_kept() -> None:
    draft = draft_from_api(API_TYPE)
    body, errors = flow_body(parse_flow_form(form_of(draft)), with_code=False)
    assert errors == {}
    defaults = {"sms_on_reentry": False, "visible_to_customer": True, "customer_name": None}
    expected = [defaults | stage for stage in API_TYPE["stages"]]
    assert body == {"name": "Reparo", "active": True, "stages": expected}


def test_fields_the_editor_shows_win_over_the_hidden_unknown_ones() -> None:
    pairs = [
        ("name", "X"),
        ("stages-0-name", "Montagem"),
        ("stages-0-planned_days", "2"),
        ("stages-0-customer_name", "Montando"),
        ("stages-0-extra", json.dumps({"name": "Velho", "customer_name": "X", "novo": 1})),
    ]
    body, _ = flow_body(parse_flow_form(pairs), with_code=False)
    assert body["stages"][0]["name"] == "Montagem"
    assert body["stages"][0]["customer_name"] == "Montando"
    assert body["stages"][0]["visible_to_customer"] is False  # its box was not checked
    assert body["stages"][0]["novo"] == 1  # a field the editor does not know is kept


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"texto"', ""])
def test_a_broken_hidden_field_is_ignored_rather_than_sent(raw: str) -> None:
    draft = parse_flow_form([("stages-0-name", "A"), ("stages-0-extra", raw)])
    assert draft.stages[0].extra == {}


def test_rows_come_back_in_the_order_of_their_index_not_the_order_they_were_sent() -> None:
    pairs = [("stages-10-name", "C"), ("stages-2-name", "B"), ("stages-0-name", "A")]
    assert names(parse_flow_form(pairs)) == ["A", "B", "C"]


def test_an_unchecked_box_means_false_and_lab_statuses_are_collected_once_each() -> None:
    pairs = [
        ("stages-0-name", "A"),
        ("stages-0-lab_statuses", "shipped"),
        ("stages-0-lab_statuses", "received"),
        ("stages-0-lab_statuses", "shipped"),
    ]
    stage = parse_flow_form(pairs).stages[0]
    assert stage.pauses_clock is False
    assert stage.lab_statuses == ("shipped", "received")
    assert parse_flow_form(pairs).active is False


THREE = FlowDraft(stages=(StageDraft(name="A"), StageDraft(name="B"), StageDraft(name="C")))


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("subir-1", ["B", "A", "C"]),
        ("descer-1", ["A", "C", "B"]),
        ("subir-0", ["A", "B", "C"]),  # the first row cannot go up
        ("descer-2", ["A", "B", "C"]),  # the last row cannot go down
        ("remover-0", ["B", "C"]),
        ("remover-9", ["A", "B", "C"]),  # a row that is not there
        ("adicionar", ["A", "B", "C", ""]),
        ("previa", ["A", "B", "C"]),  # not a row action
        ("subir-x", ["A", "B", "C"]),
    ],
)
def test_row_buttons_move_add_and_remove_rows(action: str, expected: list[str]) -> None:
    assert names(apply_row_action(THREE, action)) == expected


def test_a_moved_row_keeps_everything_typed_in_it() -> None:
    draft = FlowDraft(stages=(StageDraft(name="A", sms_template="Oi {nome}"), StageDraft(name="B")))
    moved = apply_row_action(draft, "descer-0")
    assert moved.stages[1] == draft.stages[0]


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("3", 3), ("0", 0), ("-1", -1), (" 7 ", 7)],
)
def test_whole_numbers_of_days_go_to_workflow_even_negative_ones_for_it_to_judge(
    typed: str, sent: int
) -> None:
    body, errors = flow_body(parse_flow_form([("stages-0-planned_days", typed)]), with_code=False)
    assert errors == {}
    assert body["stages"][0]["planned_days"] == sent


@pytest.mark.parametrize("typed", ["", "dois", "1.5", "3 dias"])
def test_days_that_are_not_a_whole_number_are_refused_before_calling_workflow(typed: str) -> None:
    _, errors = flow_body(parse_flow_form([("stages-0-planned_days", typed)]), with_code=False)
    assert errors == {"stages-0-planned_days": "Informe os dias previstos em número inteiro."}


def test_a_new_row_without_key_gets_one_from_its_name_and_blank_texts_become_null() -> None:
    pairs = [("stages-0-name", "Montagem Final"), ("stages-0-is_new", "1")]
    pairs += [("stages-0-planned_days", "1"), ("stages-0-sms_template", "  ")]
    stage = flow_body(parse_flow_form(pairs), with_code=True)[0]["stages"][0]
    assert stage["key"] == "montagem-final"
    assert stage["sms_template"] is None
    assert stage["responsible_role"] is None


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Conferência da receita", "conferencia-da-receita"),
        ("  Pronto p/ retirada! ", "pronto-p-retirada"),
    ],
)
def test_slug_makes_keys_workflow_accepts(name: str, key: str) -> None:
    assert slug(name) == key


def test_switching_a_type_off_keeps_its_flow_as_it_is() -> None:
    body = with_active(API_TYPE, False)
    assert body == {"name": "Reparo", "active": False, "stages": API_TYPE["stages"]}


def test_the_error_summary_names_the_stage_and_the_field() -> None:
    draft = draft_from_api(API_TYPE)
    lines = error_summary(
        {"name": "Preencha este campo.", "stages-1-planned_days": "Use 0 ou mais dias."}, draft
    )
    assert lines == [
        ("name", "Nome: Preencha este campo."),
        ("stages-1-planned_days", "Etapa 2 (Pronto) — Dias previstos: Use 0 ou mais dias."),
    ]


@pytest.mark.parametrize(
    ("days", "counting", "text"),
    [
        (5, "business", "5 dias úteis"),
        (1, "business", "1 dia útil"),
        (1, "calendar", "1 dia corrido"),
        (3, "calendar", "3 dias corridos"),
        (0, "business", "no mesmo dia"),
    ],
)
def test_planned_days_read_as_the_shop_says_them(days: int, counting: str, text: str) -> None:
    assert days_text(days, counting) == text
