"""The process review page's rules: the draft form, applying a suggestion, the version split."""

from __future__ import annotations

from typing import Any

from console.domain.process_review import (
    apply_suggestion,
    draft_changed,
    draft_stages,
    read_draft,
    rows_of,
    slug,
)
from console.domain.review import lead_time_chart, stage_charts

STAGES = [
    {"key": "conferencia", "name": "Conferência", "planned_days": 1, "counting": "business",
     "sms_template": "Olá {nome}!"},
    {"key": "producao", "name": "Produção", "planned_days": 5, "counting": "business"},
    {"key": "controle", "name": "Controle de qualidade", "planned_days": 1,
     "counting": "business"},
]  # fmt: skip


def _form(**changes: str) -> dict[str, str]:
    form = {}
    for index, stage in enumerate(STAGES):
        form[f"etapa-{index}-manter"] = "sim"
        form[f"etapa-{index}-ordem"] = str(index + 1)
        form[f"etapa-{index}-dias"] = str(stage["planned_days"])
        form[f"etapa-{index}-contagem"] = str(stage["counting"])
    form.update(changes)
    return form


def test_an_untouched_form_is_the_current_flow() -> None:
    rows, errors = read_draft(STAGES, _form())
    assert errors == {}
    assert not draft_changed(rows, STAGES)


def test_removing_and_reordering_stages_keeps_their_other_settings() -> None:
    form = _form(**{"etapa-1-ordem": "0", "etapa-2-dias": "3"})
    del form["etapa-2-manter"]

    rows, errors = read_draft(STAGES, form)

    assert errors == {}
    body = draft_stages(rows, STAGES)
    assert [s["key"] for s in body] == ["producao", "conferencia"]
    assert body[1]["sms_template"] == "Olá {nome}!"
    assert draft_changed(rows, STAGES)


def test_a_new_stage_gets_a_key_from_its_name_and_the_hours_typed() -> None:
    form = _form(**{"nova-nome": "Polimento Fino", "nova-dias": "2", "nova-ordem": "2",
                    "nova-horas": "2,5"})  # fmt: skip

    rows, errors = read_draft(STAGES, form)

    assert errors == {}
    body = draft_stages(rows, STAGES)
    assert [s["key"] for s in body] == ["conferencia", "polimento-fino", "producao", "controle"]
    assert body[1]["typed_hours"] == 2.5
    assert "typed_hours" not in draft_stages(rows, STAGES, with_hours=False)[1]
    assert slug("Ação rápida!") == "acao-rapida"


def test_bad_fields_are_named_in_portuguese_and_an_empty_draft_is_refused() -> None:
    form = _form(**{"etapa-0-dias": "muitos", "nova-nome": "X", "nova-horas": "duas"})
    for index in range(3):
        del form[f"etapa-{index}-manter"]

    _, errors = read_draft(STAGES, form)

    assert errors["etapa-0-dias"] == "Use um número inteiro de dias."
    assert errors["nova-horas"].startswith("Use um número de horas")
    assert "etapas" not in errors  # the new stage is kept


def test_applying_a_suggestion_changes_only_that_stage() -> None:
    rows = apply_suggestion(rows_of(STAGES), "producao", 6)
    assert [r.planned_days for r in rows] == [1, 6, 1]


def test_a_type_split_by_version_gets_a_bar_and_a_chart_per_version() -> None:
    items: list[dict[str, Any]] = [
        {"key": "oculos", "flow_version": 1, "median_hours": 80.0, "p90_hours": 90.0},
        {"key": "oculos", "flow_version": 2, "median_hours": 40.0, "p90_hours": 50.0},
        {"key": "reparo", "flow_version": None, "median_hours": 10.0, "p90_hours": 20.0},
    ]
    chart = lead_time_chart(items, {"oculos": "Óculos", "reparo": "Reparo"})
    assert [b.label for b in chart.bars] == ["Óculos · versão 1", "Óculos · versão 2", "Reparo"]

    stage = {"stage_key": "montagem", "stage_name": "Montagem", "avg_hours": 5.0,
             "avg_planned_hours": 3.0, "position": 0}  # fmt: skip
    charts = stage_charts(
        [{**stage, "service_type": "oculos", "flow_version": v} for v in (1, 2)],
        {"oculos": "Óculos"},
        None,
    )
    assert [c.name for c in charts] == ["Óculos · versão 1", "Óculos · versão 2"]
