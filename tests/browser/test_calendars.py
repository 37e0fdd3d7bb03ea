"""Calendários in a real browser: the coming holidays with their source, a manager's closure,
a date the console cannot read, and a read-only view for an attendant."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import PersonFactory, screenshot
from tests.browser.people import ATTENDANT_SP, MANAGER_SP, StaffApi


def test_the_calendar_lists_christmas_as_a_national_holiday_for_sp01(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    year = date.today().year
    page = new_person(ATTENDANT_SP)
    page.goto(f"/calendarios?filial={staff_api.branch_id('SP01')}&de={year}-12-01")
    row = page.locator("tr", has_text=f"25/12/{year}")
    expect(row).to_contain_text("Natal")
    expect(row).to_contain_text("Nacional")
    expect(page.locator(".resumo-semana")).to_contain_text("seg–sex")
    expect(page.get_by_text("Janela de envio de SMS")).to_be_visible()
    # read-only for an attendant: no form to change the calendar
    expect(page.get_by_role("button", name="Salvar semana e horário")).to_have_count(0)
    expect(page.get_by_role("button", name="Adicionar fechamento")).to_have_count(0)


def test_a_manager_adds_a_closure_sees_it_listed_and_removes_it(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    reason = f"Inventário {uuid.uuid4().hex[:4]}"
    day = date.today() + timedelta(days=20)
    typed = day.strftime("%d/%m/%Y")
    page = new_person(MANAGER_SP)
    page.goto(f"/calendarios?filial={staff_api.branch_id('SP01')}")

    page.locator("#fechamentos-data").fill("31/02/2027")
    page.locator("#fechamentos-descricao").fill(reason)
    page.get_by_role("button", name="Adicionar fechamento").click()
    expect(page.locator("#data-erro")).to_contain_text("dd/mm/aaaa")
    expect(page.locator("#fechamentos-descricao")).to_have_value(reason)

    page.locator("#fechamentos-data").fill(typed)
    page.get_by_role("button", name="Adicionar fechamento").click()
    expect(page.get_by_role("status")).to_contain_text("Fechamento salvo")
    row = page.locator("tr", has_text=reason)
    expect(row).to_contain_text(typed)
    expect(row).to_contain_text("Fechamento da filial")
    screenshot(page, "calendars")

    page.get_by_role("button", name=f"Remover {reason} de {typed}").click()
    expect(page.get_by_role("status")).to_contain_text("removido")
    expect(page.locator("tr", has_text=reason)).to_have_count(0)
