"""A staff action typed on the order screen is checked before it is sent."""

from __future__ import annotations

import pytest

from console.domain.action_form import check_action
from console.domain.permissions import Action


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"acao": "advance"}, {}),
        ({"acao": "pause"}, {"motivo": "Informe o motivo."}),
        ({"acao": "back", "motivo": "   "}, {"motivo": "Informe o motivo."}),
        ({"acao": "assign"}, {"responsavel": "Informe o nome do responsável."}),
        ({"acao": "note"}, {"anotacao": "Escreva a anotação."}),
        (
            {"acao": "reopen", "motivo": "lente riscada"},
            {"tipo_reabertura": "Escolha refação ou garantia."},
        ),
        (
            {"acao": "cancel", "motivo": "desistiu"},
            {"confirmo_cancelamento": "Marque a confirmação para cancelar a OS."},
        ),
        (
            {"acao": "pause", "motivo": "x" * 501},
            {"motivo": "Texto longo demais (até 500 caracteres)."},
        ),
        ({"acao": "explode"}, {"acao": "Ação desconhecida; recarregue a página."}),
    ],
)
def test_each_action_asks_for_what_it_needs_in_portuguese(
    form: dict[str, str], errors: dict[str, str]
) -> None:
    assert check_action(form).errors == errors


@pytest.mark.parametrize(
    ("form", "body"),
    [
        ({"acao": "advance", "motivo": "ignored"}, {"action": "advance"}),
        ({"acao": "pause", "motivo": " viagem "}, {"action": "pause", "reason": "viagem"}),
        ({"acao": "assign", "responsavel": "Carlos"}, {"action": "assign", "assignee": "Carlos"}),
        ({"acao": "note", "anotacao": "ligou"}, {"action": "note", "note": "ligou"}),
        (
            {"acao": "reopen", "motivo": "riscou", "tipo_reabertura": "warranty"},
            {"action": "reopen", "reason": "riscou", "reopen_kind": "warranty"},
        ),
        (
            {"acao": "cancel", "motivo": "desistiu", "confirmo_cancelamento": "sim"},
            {"action": "cancel", "reason": "desistiu"},
        ),
    ],
)
def test_only_the_fields_of_the_action_are_sent(form: dict[str, str], body: dict[str, str]) -> None:
    checked = check_action(form)
    assert checked.errors == {}
    assert checked.action is Action(form["acao"])
    assert checked.body == body


def test_the_version_the_person_saw_is_sent_so_a_stale_click_is_refused() -> None:
    assert check_action({"acao": "advance", "versao": "7"}).body == {
        "action": "advance",
        "expected_version": 7,
    }
    assert "expected_version" not in check_action({"acao": "advance", "versao": "x"}).body
