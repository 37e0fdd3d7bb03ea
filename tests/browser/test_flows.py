"""Tipos de OS in a real browser: read, edit a flow into a new version, the live SMS preview,
errors next to the field, rows moved without JavaScript, and a role that may not edit."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PersonFactory, screenshot, sign_in
from tests.browser.people import ADMIN, ATTENDANT_SP, StaffApi


def new_type(staff_api: StaffApi) -> dict[str, Any]:
    """A service type of this test's own, so other tests' flows stay as they are."""
    code = "teste-" + uuid.uuid4().hex[:8]
    created: dict[str, Any] = staff_api.call(
        ADMIN,
        "POST",
        "workflow",
        "/api/v1/service-types",
        json={
            "code": code,
            "name": "Ajuste de teste",
            "stages": [
                {"key": "ajuste", "name": "Ajuste", "planned_days": 2},
                {
                    "key": "pronto",
                    "name": "Pronto para retirada",
                    "planned_days": 0,
                    "pauses_clock": True,
                    "sms_template": "Olá {nome}! Sua OS {numero_os} está pronta.",
                },
            ],
        },
    )
    return created


def versions(staff_api: StaffApi, code: str) -> list[int]:
    page = staff_api.call(ADMIN, "GET", "workflow", f"/api/v1/service-types/{code}/versions")
    return [v["version"] for v in page["items"]]


def test_an_admin_changes_days_and_sms_and_sees_the_new_version_and_what_changed(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    flow = new_type(staff_api)
    page = new_person(ADMIN)
    page.goto("/tipos")
    page.get_by_role("link", name="Ajuste de teste").first.click()
    page.get_by_role("link", name="Editar fluxo").click()
    page.locator("#stages-0-planned_days").fill("4")
    page.locator("#stages-0-sms_template").fill("Oi {nome}, sua OS {numero_os} entrou em ajuste.")
    page.get_by_role("button", name="Salvar nova versão").click()

    page.wait_for_url(re.compile(rf"/tipos/{flow['code']}\?salvo=2"))
    expect(page.get_by_role("status")).to_contain_text("Versão 2 salva")
    expect(page.locator("#versoes + .tabela")).to_contain_text("2 (atual)")
    changes = page.locator("#comparacao")
    expect(changes).to_contain_text("O que mudou da versão 1 para a 2")
    expect(changes).to_contain_text("dias previstos: 2 dias → 4 dias")
    expect(changes).to_contain_text("entrou em ajuste")
    assert versions(staff_api, flow["code"]) == [2, 1]
    current = staff_api.call(ADMIN, "GET", "workflow", f"/api/v1/service-types/{flow['code']}")
    assert current["stages"][1]["pauses_clock"] is True  # what the form did not touch stays


def test_the_sms_preview_renders_counts_and_follows_the_typing(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    flow = new_type(staff_api)
    page = new_person(ADMIN)
    page.goto(f"/tipos/{flow['code']}/editar")
    preview = page.locator("#previa-1")
    expect(preview).to_contain_text("Olá Maria! Sua OS SP01-000123 está pronta.")
    expect(preview).to_contain_text("42 caracteres · 1 parte (acentos usam UCS-2)")

    field = page.locator("#stages-0-sms_template")
    field.press_sequentially("Oi {nome}, a OS {numero_os} foi para ajuste", delay=10)
    first = page.locator("#previa-0")
    expect(first).to_contain_text("Oi Maria, a OS SP01-000123 foi para ajuste")
    expect(first).to_contain_text("42 caracteres · 1 parte")
    expect(first).not_to_contain_text("UCS-2")

    field.press_sequentially(" {cliente}", delay=10)
    expect(first).to_contain_text("Placeholder desconhecido {cliente}")
    screenshot(page, "flow-editor")


def test_invalid_days_and_a_blank_name_are_shown_next_to_the_field_and_nothing_is_saved(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    flow = new_type(staff_api)
    page = new_person(ADMIN)
    page.goto(f"/tipos/{flow['code']}/editar")
    page.locator("#stages-0-planned_days").fill("-1")
    page.locator("#stages-1-name").fill("")
    page.get_by_role("button", name="Salvar nova versão").click()

    expect(page.locator("#stages-0-planned_days-erro")).to_have_text("Use 0 ou mais dias.")
    expect(page.locator("#stages-1-name-erro")).to_have_text("Preencha este campo.")
    summary = page.locator(".resumo-erros")
    expect(summary).to_contain_text("Nada foi salvo")
    expect(summary).to_contain_text("Etapa 1 (Ajuste) — Dias previstos: Use 0 ou mais dias.")
    expect(page.locator("#stages-0-planned_days")).to_have_value("-1")  # what was typed stays
    page.locator("#stages-0-planned_days").fill("dois")
    page.get_by_role("button", name="Salvar nova versão").click()
    expect(page.locator("#stages-0-planned_days-erro")).to_contain_text("número inteiro")
    assert versions(staff_api, flow["code"]) == [1]


def test_rows_move_and_are_added_without_javascript(
    browser: Browser, console_url: str, staff_api: StaffApi
) -> None:
    flow = new_type(staff_api)
    context = browser.new_context(java_script_enabled=False, base_url=console_url)
    try:
        page = context.new_page()
        sign_in(page, ADMIN)
        page.goto(f"/tipos/{flow['code']}/editar")
        page.get_by_role("button", name="Descer a etapa 1").click()
        legends = page.locator("fieldset.etapa > legend")
        expect(legends).to_have_text(["Etapa 1: Pronto para retirada", "Etapa 2: Ajuste"])
        page.get_by_role("button", name="+ Adicionar etapa").click()
        expect(legends).to_have_count(3)
        page.locator("#stages-2-name").fill("Conferência final")
        page.locator("#stages-2-planned_days").fill("1")
        page.get_by_role("button", name="Salvar nova versão").click()
        expect(page.locator("#comparacao")).to_contain_text("Etapa nova na 3ª posição")
        current = staff_api.call(ADMIN, "GET", "workflow", f"/api/v1/service-types/{flow['code']}")
        assert [s["key"] for s in current["stages"]] == ["pronto", "ajuste", "conferencia-final"]
    finally:
        context.close()


def csrf_token(page: Page) -> str:
    token: str = json.loads(page.locator("body").get_attribute("hx-headers") or "{}")["x-csrftoken"]
    return token


def test_an_attendant_reads_flows_without_edit_buttons_and_the_api_refuses_a_forged_edit(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    flow = new_type(staff_api)
    page = new_person(ATTENDANT_SP)
    page.goto("/tipos")
    expect(page.get_by_role("link", name="Ajuste de teste").first).to_be_visible()
    expect(page.get_by_role("link", name="Novo tipo de OS")).to_have_count(0)
    page.get_by_role("link", name="Ajuste de teste").first.click()
    expect(page.locator("h1")).to_contain_text("Ajuste de teste")
    expect(page.get_by_role("link", name="Editar fluxo")).to_have_count(0)
    expect(page.get_by_role("button", name="Desativar tipo")).to_have_count(0)

    response = page.request.post(
        f"/tipos/{flow['code']}/editar",
        form={
            "_csrf_token": csrf_token(page),
            "acao": "salvar",
            "code": flow["code"],
            "name": "Invadido",
            "stages-0-key": "ajuste",
            "stages-0-name": "Ajuste",
            "stages-0-planned_days": "1",
        },
    )
    assert response.status == 403
    assert "não pode alterar tipos de OS" in response.text()
    assert versions(staff_api, flow["code"]) == [1]


def test_an_admin_switches_a_type_off_and_on(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    flow = new_type(staff_api)
    page = new_person(ADMIN)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/tipos/{flow['code']}")
    page.get_by_role("button", name="Desativar tipo").click()
    expect(page.get_by_role("status")).to_contain_text("Tipo de OS desativado")
    expect(page.locator(".selo-inativo")).to_have_text("desativado")
    page.get_by_role("button", name="Ativar tipo").click()
    expect(page.locator(".selo-ativo")).to_have_text("ativo")
    current = staff_api.call(ADMIN, "GET", "workflow", f"/api/v1/service-types/{flow['code']}")
    assert current["active"] is True


def test_an_admin_hides_an_internal_stage_from_customers_and_names_another_for_them(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    flow = new_type(staff_api)
    page = new_person(ADMIN)
    page.goto(f"/tipos/{flow['code']}/editar")
    page.locator("[name='stages-0-visible_to_customer']").uncheck()
    page.locator("#stages-1-customer_name").fill("Pronta para você")
    page.get_by_role("button", name="Salvar nova versão").click()
    page.wait_for_url(re.compile(rf"/tipos/{flow['code']}\?salvo=2"))
    stages = staff_api.call(ADMIN, "GET", "workflow", f"/api/v1/service-types/{flow['code']}")[
        "stages"
    ]
    assert stages[0]["visible_to_customer"] is False
    assert stages[1]["visible_to_customer"] is True
    assert stages[1]["customer_name"] == "Pronta para você"
