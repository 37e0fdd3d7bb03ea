"""The counter form: the proposed date before saving, date rules, one order per form."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import PersonFactory, screenshot
from tests.browser.people import ADMIN, ATTENDANT_SP, VIEWER, StaffApi


def fill_customer(page: Page, name: str, phone: str = "(11) 98123-4567") -> None:
    page.get_by_label("Tipo de OS").select_option("venda-oculos-grau")
    page.get_by_label("Nome do cliente").fill(name)
    page.get_by_label("Celular").fill(phone)
    page.get_by_label("Descrição").first.fill("Lente multifocal antirreflexo")


def proposed(page: Page) -> date:
    text = page.locator("#data-proposta-valor").inner_text()
    day, month, year = (int(part) for part in text.split("/"))
    return date(year, month, day)


def orders_named(staff_api: StaffApi, name: str) -> list[dict[str, object]]:
    page = staff_api.call(ADMIN, "GET", "workflow", "/api/v1/orders", params={"text": name})
    return list(page["items"])


def test_an_attendant_opens_an_order_seeing_the_proposed_date_first(
    new_person: PersonFactory,
) -> None:
    page = new_person(ATTENDANT_SP)
    page.goto("/os/nova")
    expect(page.locator("#data-proposta")).to_contain_text("Escolha a filial e o tipo")
    fill_customer(page, "Paula Balcão")
    expect(page.locator("#data-proposta")).to_contain_text("Data proposta:")
    expect(page.locator("#data-proposta")).to_contain_text("etapas")
    expected = proposed(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "new-order")
    page.get_by_role("button", name="Abrir OS").click()
    page.wait_for_url(re.compile(r"/os/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_contain_text(re.compile(r"SP01-\d{6}"))
    expect(page.locator(".cliente")).to_contain_text("Paula Balcão")
    expect(page.locator(".cliente")).to_contain_text(f"{expected:%d/%m/%Y} (proposta)")
    expect(page.locator(".etapa-current")).to_contain_text("Conferência da receita", timeout=8_000)


def test_a_wrong_phone_and_a_missing_name_are_said_next_to_the_fields(
    new_person: PersonFactory,
) -> None:
    page = new_person(ATTENDANT_SP)
    page.goto("/os/nova")
    page.get_by_label("Tipo de OS").select_option("venda-oculos-grau")
    page.get_by_label("Celular").fill("(11) 3333-4444")
    page.get_by_role("button", name="Abrir OS").click()
    expect(page.locator(".resumo-erros")).to_contain_text("Informe o nome do cliente.")
    page.get_by_label("Nome do cliente").fill("Quitéria Fixo")
    page.get_by_role("button", name="Abrir OS").click()
    expect(page.locator("#celular-erro")).to_contain_text("celular")
    expect(page.locator(".resumo-erros")).to_contain_text("celular")
    screenshot(page, "new-order-errors")


def test_a_past_date_is_refused(new_person: PersonFactory) -> None:
    page = new_person(ATTENDANT_SP)
    page.goto("/os/nova")
    fill_customer(page, "Rafael Passado")
    page.get_by_label("Combinar outra data com o cliente").check()
    page.get_by_label("Data combinada (dd/mm/aaaa)").fill(
        f"{date.today() - timedelta(days=2):%d/%m/%Y}"
    )
    page.get_by_role("button", name="Abrir OS").click()
    expect(page.locator("#data_combinada-erro")).to_contain_text("não pode estar no passado")
    expect(page.locator(".resumo-erros")).to_contain_text("não pode estar no passado")


def test_a_date_before_the_proposal_needs_a_confirmation(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    name = f"Sara Antes {uuid.uuid4().hex[:6]}"
    page = new_person(ATTENDANT_SP)
    page.goto("/os/nova")
    fill_customer(page, name)
    earlier = proposed(page) - timedelta(days=1)
    page.get_by_label("Combinar outra data com o cliente").check()
    page.get_by_label("Data combinada (dd/mm/aaaa)").fill(f"{earlier:%d/%m/%Y}")
    page.get_by_role("button", name="Abrir OS").click()
    expect(page.locator("#confirmo_antes-erro")).to_contain_text("antes da proposta")
    assert orders_named(staff_api, name) == []
    page.get_by_label("Confirmo a data combinada antes da proposta").check()
    page.get_by_role("button", name="Abrir OS").click()
    page.wait_for_url(re.compile(r"/os/[0-9a-f-]{36}$"))
    expect(page.locator(".cliente")).to_contain_text(f"{earlier:%d/%m/%Y} (combinada)")


def test_the_same_form_sent_twice_opens_one_order(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    name = f"Tiago Duplo {uuid.uuid4().hex[:6]}"
    page = new_person(ATTENDANT_SP)
    page.goto("/os/nova")
    fill_customer(page, name)
    expect(page.locator("#data-proposta")).to_contain_text("Data proposta:")
    targets = page.evaluate(
        """async () => {
            const form = document.querySelector("form.formulario-os");
            const body = () => new URLSearchParams(new FormData(form));
            const send = () =>
                fetch("/os/nova", {method: "POST", body: body(), redirect: "manual"});
            const answers = await Promise.all([send(), send()]);
            const again = await send();
            return [...answers, again].map(a => a.type + ":" + a.status);
        }"""
    )
    assert all(t == "opaqueredirect:0" for t in targets), targets
    page.get_by_role("button", name="Abrir OS").dblclick()
    page.wait_for_url(re.compile(r"/os/[0-9a-f-]{36}$"))
    staff_api.wait_for_order(page.url.rsplit("/", 1)[1])
    assert len(orders_named(staff_api, name)) == 1


def test_the_viewer_has_no_counter_form(new_person: PersonFactory) -> None:
    page = new_person(VIEWER)
    page.goto("/")
    expect(page.get_by_role("link", name="Nova OS")).to_have_count(0)
    response = page.goto("/os/nova")
    assert response is not None
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Sem permissão")


def test_the_counter_form_fits_a_phone(new_person: PersonFactory) -> None:
    page = new_person(ATTENDANT_SP, phone=True)
    page.goto("/os/nova")
    page.get_by_label("Tipo de OS").select_option("venda-oculos-grau")
    expect(page.locator("#data-proposta")).to_contain_text("Data proposta:")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form is {width}px wide on a 390px phone"
    screenshot(page, "new-order-phone")
