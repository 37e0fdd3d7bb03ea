"""The order panel renders from intake's data alone while workflow has not placed the order."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import jinja2

from console.domain import order_view
from console.domain.action_outcome import Outcome
from console.entrypoints.http import templating
from console.usecases.order_screen import OrderScreen

TEMPLATES = Path(templating.__file__).parent / "templates"
INTAKE = {
    "number": "SP01-000009",
    "customer_name": "Ana Souza",
    "customer_phone": "+5511987654321",
    "sms_consent": False,
    "items": [{"kind": "contact_lens", "description": "Lentes mensais", "quantity": 2}],
    "promised_date": None,
    "lab_code": None,
    "lab_order_number": None,
    "notes": None,
    "opened_at": "2026-12-02T13:00:00Z",
    "service_type": "troca",
}


def render(**changes: Any) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    templating.configure(types.SimpleNamespace(engine=env))  # type: ignore[arg-type]
    screen = OrderScreen(
        **{
            "order_id": "o1",
            "intake": INTAKE,
            "flow": None,
            "zone": "America/Sao_Paulo",
            "branch_label": "SP01 — Visão Clara Paulista",
            "service_type_name": "Troca",
            "steps": [],
            "timeline": [],
            "messages": None,
            "actions": (),
            **changes,
        }
    )
    return env.get_template("order_panel.html").render(
        screen=screen,
        polls=0,
        keep_polling=True,
        errors={},
        open_action=None,
        typed={},
        form_key="k",
        action_labels={},
        needs_reason=set(),
        labels=order_view,
        csrf_input="",
    )


def test_an_order_not_in_workflow_yet_shows_intakes_data_and_keeps_asking() -> None:
    html = render()
    assert "Processando…" in html
    assert 'hx-get="/os/o1?vez=1"' in html
    assert "SP01-000009" in html
    assert "Lente de contato" in html
    assert "não aceita SMS" in html
    assert "(11) 9****-**21" in html
    assert "987654321" not in html


def test_an_outcome_is_shown_as_applied_or_refused() -> None:
    assert 'aviso-ok resultado" role="status" id="resultado">Pausada<' in render(
        outcome=Outcome(True, "Pausada")
    )
    assert "aviso-erro" in render(outcome=Outcome(False, "Recusada: A OS está pausada."))


def test_a_held_sms_of_a_stage_the_order_left_says_it_will_not_go_out() -> None:
    flow = {"status": "in_progress", "entry_sequence": 3, "stages": [], "timeline": []}
    held = {
        "created_at": "2026-12-05T07:00:00Z",
        "stage_name": "Conferência da receita",
        "body": None,
        "status": "held",
        "status_reason": "fora do horário de envio da filial; envio em 05/12/2026 às 08:00",
        "entry_sequence": 1,
    }
    overtaken = {**held, "not_sent_reason": "a OS já passou desta etapa antes do horário de envio"}
    html = render(flow=flow, messages=[overtaken, {**held, "entry_sequence": 3}])
    assert html.count("não será enviada: a OS já passou desta etapa antes do horário de envio") == 1
    assert html.count("envio em 05/12/2026 às 08:00") == 1


def test_an_sms_without_text_says_it_is_made_when_sent_only_while_it_may_be() -> None:
    base = {"created_at": "2026-12-05T07:00:00Z", "stage_name": "Pronto", "entry_sequence": 1}
    held = {**base, "body": None, "status": "held", "status_reason": None}
    suppressed = {**base, "body": None, "status": "suppressed", "status_reason": "sem SMS"}
    assert render(messages=[held]).count("(texto gerado no envio)") == 1
    assert "(texto gerado no envio)" not in render(messages=[suppressed])
