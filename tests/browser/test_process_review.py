"""Process review, the done-when of issue 18: the demo owner opens the due review from the
board, removes the bottleneck stage in a draft, sees what it would have done to the on-time
rate and the lead time over the seeded history, applies a suggested planned-days figure, saves
the new version and records the review."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PersonFactory, screenshot, texts_outside_their_charts
from tests.browser.people import ADMIN, StaffApi

CODE = "venda-oculos-grau"


def _percent(text: str | None) -> int:
    assert text
    match = re.search(r"\d+", text)
    assert match, text
    return int(match.group())


def _hours(text: str | None) -> float:
    """ "14,2 dias" or "36 h" in hours."""
    assert text
    number = float(text.split()[0].replace(",", "."))
    return number * 24 if "dia" in text else number


def test_the_owner_reviews_tries_a_draft_on_history_saves_it_and_records_the_review(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    users = staff_api.call(ADMIN, "GET", "intake", "/api/v1/users", params={"limit": 200})
    admin = next(u for u in users["items"] if u["email"] == ADMIN)
    staff_api.call(
        ADMIN,
        "PUT",
        "workflow",
        f"/api/v1/service-types/{CODE}/process-owner",
        json={"owner_id": admin["user_id"], "owner_name": admin["name"], "cadence": "monthly"},
    )

    page = new_person(ADMIN)
    page.goto("/")
    banner = page.locator(".revisao-aviso")
    expect(banner).to_contain_text("Revisão pendente: Venda de óculos de grau")
    banner.get_by_role("link", name="Abrir a revisão").first.click()
    expect(
        page.get_by_role("heading", name=re.compile("Revisão: Venda de óculos de grau"))
    ).to_be_visible()
    bottleneck = page.locator("table.etapas tr.gargalo th")
    expect(bottleneck).to_contain_text("Controle de qualidade")
    screenshot(page, "process-review")

    page.get_by_label("Manter Controle de qualidade").uncheck()
    page.get_by_role("button", name="Simular no histórico").click()
    expect(page.locator("#comparacao")).to_be_visible()
    current_rate = _percent(page.locator("#prazo-atual").text_content())
    draft_rate = _percent(page.locator("#prazo-rascunho").text_content())
    assert draft_rate > current_rate, (current_rate, draft_rate)
    current_median = _hours(page.locator("#mediana-atual").text_content())
    draft_median = _hours(page.locator("#mediana-rascunho").text_content())
    assert draft_median < current_median, (current_median, draft_median)
    assert int(page.locator("#viram-no-prazo").text_content() or "0") > 0
    expect(page.locator("svg.grafico-barras").first).to_be_visible()
    assert texts_outside_their_charts(page) == []
    screenshot(page, "process-review-what-if")

    production_days = page.locator("#etapa-2-dias")
    before = production_days.input_value()
    apply = page.get_by_role("button", name=re.compile("Aplicar .* em Produção no laboratório"))
    suggested = (apply.get_attribute("value") or "").rsplit(":", 1)[-1]
    apply.click()
    expect(page.locator("#mensagem")).to_have_text("Sugestão aplicada ao rascunho.")
    expect(page.locator("#etapa-2-dias")).to_have_value(suggested)
    assert suggested != before
    expect(page.get_by_label("Manter Controle de qualidade")).not_to_be_checked()
    expect(page.locator("#comparacao")).to_be_visible()

    page.get_by_role("button", name="Salvar como nova versão").click()
    expect(page.locator("#mensagem")).to_contain_text("salva: as novas OS usam este fluxo")
    flow = staff_api.call(ADMIN, "GET", "workflow", f"/api/v1/service-types/{CODE}")
    keys = [s["key"] for s in flow["stages"]]
    assert "controle-qualidade" not in keys
    assert next(s for s in flow["stages"] if s["key"] == "producao")["planned_days"] == int(
        suggested
    )
    expect(page.get_by_label("Versão do fluxo que resultou (opcional)")).to_have_value(
        str(flow["version"])
    )

    page.get_by_label("O que a revisão encontrou").fill(
        "Controle de qualidade segura metade das OS; o laboratório passa do previsto."
    )
    page.get_by_label("O que foi decidido").fill(
        "Conferência final passa para a montagem; produção com os dias sugeridos."
    )
    page.get_by_role("button", name="Registrar revisão").click()
    expect(page.locator("#mensagem")).to_have_text("Revisão registrada.")
    history = page.locator("ul.historico li").first
    expect(history).to_contain_text(f"resultou na versão {flow['version']}")
    expect(history).to_contain_text("Controle de qualidade segura metade")
    screenshot(page, "process-review-recorded")

    schedules = staff_api.call(ADMIN, "GET", "workflow", "/api/v1/process-reviews")
    reviewed = next(s for s in schedules["items"] if s["code"] == CODE)
    assert reviewed["review_state"] == "scheduled"


def test_the_review_page_reads_on_a_phone(new_person: PersonFactory) -> None:
    page = new_person(ADMIN, phone=True)
    page.goto(f"/revisao/{CODE}")
    expect(
        page.get_by_role("heading", name=re.compile("Revisão: Venda de óculos de grau"))
    ).to_be_visible()
    page.get_by_role("button", name="Simular no histórico").click()
    expect(page.locator("#comparacao")).to_be_visible()
    screenshot(page, "process-review-phone")


def test_a_bad_draft_is_refused_next_to_the_field(new_person: PersonFactory) -> None:
    page = new_person(ADMIN)
    page.goto(f"/revisao/{CODE}")
    page.locator("#nova-nome").fill("Polimento")
    page.locator("#nova-horas").fill("muito")
    page.get_by_role("button", name="Simular no histórico").click()
    expect(page.locator(".resumo-erros")).to_contain_text("Use um número de horas")
    expect(page.locator("#nova-nome")).to_have_value("Polimento")
