"""Mensagens: the SMS of an order opened at the counter, masked, and opting a number out and in."""

from __future__ import annotations

import random
import re
import time

from playwright.sync_api import expect

from tests.browser.conftest import PersonFactory, screenshot
from tests.browser.people import ADMIN, ATTENDANT_SP, StaffApi


def _sent_message(staff_api: StaffApi, order_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        items = staff_api.call(
            ADMIN, "GET", "notifier", "/api/v1/messages", params={"order_id": order_id}
        )["items"]
        if items and items[0]["status"] in ("sent", "delivered"):
            return dict(items[0])
        assert time.monotonic() < deadline, items
        time.sleep(0.3)


def test_the_sms_of_a_new_order_is_listed_with_its_phone_masked(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    digits = f"9{random.randint(1000, 9999)}{random.randint(1000, 9999)}"
    order = staff_api.open_order(customer="Marta Mensagem", phone=f"(11) {digits}")
    _sent_message(staff_api, order["order_id"])

    page = new_person(ATTENDANT_SP)
    page.get_by_role("link", name="Mensagens").click()
    page.get_by_label("Nº da OS").fill(order["number"])
    page.get_by_role("button", name="Filtrar").click()
    rows = page.locator("#lista-mensagens tbody tr")
    expect(rows.first).to_contain_text(order["number"])
    expect(rows.first).to_contain_text("Marta")
    expect(rows.first.locator("td").nth(4)).to_have_text(re.compile("enviada|entregue"))
    assert digits not in page.content()
    expect(rows.first.locator("td").nth(2)).to_have_text(f"(11) {digits[0]}****-**{digits[-2:]}")
    expect(rows.first.get_by_role("link", name=order["number"])).to_have_attribute(
        "href", f"/os/{order['order_id']}"
    )
    page.get_by_label("Situação").select_option(label="Falhou")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("#lista-mensagens")).to_contain_text("Nenhuma mensagem com estes filtros")

    page.get_by_label("Nº da OS").fill("XX99-999999")
    page.get_by_label("Situação").select_option(label="Todas")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.get_by_role("alert")).to_contain_text("Nenhuma OS com o número XX99-999999")
    page.goto("/mensagens")
    screenshot(page, "messages")


def test_a_number_is_opted_out_and_back_in_with_a_confirmation(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    digits = f"9{random.randint(1000, 9999)}{random.randint(1000, 9999)}"
    staff_api.open_order(customer="Otávio Optout", phone=f"(11) {digits}")
    page = new_person(ATTENDANT_SP)
    page.goto("/mensagens")
    page.get_by_label("Descadastrar número").fill("11 3333-0000")
    page.get_by_role("button", name="Descadastrar").click()
    expect(page.get_by_role("alert")).to_contain_text("não é de um cliente das suas filiais")
    # the form's target opened as a page (its address copied after an error) leads to the form
    opened = page.goto("/mensagens/descadastros/remover")
    assert opened is not None
    assert opened.status == 200
    assert page.url.endswith("/mensagens")
    before = opened.request.redirected_from
    assert before is not None
    assert before.url.endswith("/mensagens/descadastros")
    assert before.redirected_from is not None  # /mensagens/descadastros/remover, then up again

    page.get_by_label("Descadastrar número").fill(f"+55 (11) {digits[:5]}-{digits[5:]}")
    page.get_by_role("button", name="Descadastrar").click()
    expect(page.get_by_role("status")).to_contain_text("Número descadastrado")
    listed = page.locator("#lista-descadastros")
    expect(listed).to_contain_text(digits[-2:])
    count = listed.locator("tbody tr").count()
    assert digits not in page.content()

    questions: list[str] = []

    def answer(dialog: object) -> None:
        questions.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    page.on("dialog", answer)
    page.get_by_label("Voltar a receber SMS").fill(f"11{digits}")
    page.get_by_role("button", name="Recadastrar").click()
    expect(page.get_by_role("status")).to_contain_text("Número recadastrado")
    assert questions
    assert "voltará a receber SMS" in questions[0]
    after = page.locator("#lista-descadastros tbody tr").count()
    assert after == count - 1, (count, after)
