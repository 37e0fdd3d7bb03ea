"""The order screen: everything about an order in one place, its actions and their outcome."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, PersonFactory, labels_cut, screenshot
from tests.browser.people import ADMIN, ATTENDANT_RJ, ATTENDANT_SP, MANAGER_SP, VIEWER, StaffApi


def open_screen(page: Page, order: dict[str, Any]) -> None:
    page.goto(f"/os/{order['order_id']}")
    expect(page.locator("h1")).to_contain_text(order["number"])


def wait_for_a_message(staff_api: StaffApi, order_id: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    path = f"/api/v1/messages?order_id={order_id}"
    while not staff_api.call(ATTENDANT_SP, "GET", "notifier", path)["items"]:
        assert time.monotonic() < deadline, "the order's first SMS never showed up"
        time.sleep(0.2)


def test_the_order_screen_shows_the_customer_stages_messages_and_timeline(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Helena Tela", phone="(11) 97654-3210")
    wait_for_a_message(staff_api, order["order_id"])
    page = new_person(ATTENDANT_SP)
    open_screen(page, order)
    expect(page.locator("h1")).to_contain_text("Venda de óculos de grau")
    expect(page.locator("h1")).to_contain_text("versão")
    expect(page.locator(".cliente")).to_contain_text("Helena Tela")
    expect(page.locator(".cliente")).to_contain_text("(11) 9****-**10")
    expect(page.locator(".cliente")).to_contain_text("aceita SMS")
    expect(page.locator(".cliente")).to_contain_text("proposta")
    expect(page.locator(".etapa-current")).to_contain_text("Conferência da receita")
    expect(page.locator(".etapa-current")).to_contain_text("vence")
    expect(page.locator("#etapa-atual")).to_contain_text("dia")
    expect(page.locator(".linha-do-tempo")).to_contain_text(f"OS {order['number']} aberta")
    expect(page.locator(".mensagens")).to_contain_text("Olá Helena!")
    html = page.content()
    assert "97654-3210" not in html
    assert "5511976543210" not in html
    assert "976543210" not in html
    page.set_viewport_size({"width": 1280, "height": 1000})
    screenshot(page, "order-full")
    page.screenshot(path=str(SCREENSHOTS / "order.png"))  # the first screen, for the README
    phone = new_person(ATTENDANT_SP, phone=True)
    open_screen(phone, order)
    screenshot(phone, "order-phone")


def test_advancing_from_the_order_screen_shows_the_outcome_and_the_new_stage(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Igor Avanço")
    page = new_person(ATTENDANT_SP)
    open_screen(page, order)
    page.get_by_role("button", name="Avançar").click()
    expect(page.locator("#resultado")).to_have_text(
        re.compile(r"Avançada para Envio ao laboratório"), timeout=8_000
    )
    expect(page.locator(".etapa-current")).to_contain_text("Envio ao laboratório")
    expect(page.locator(".etapa-done")).to_contain_text("Conferência da receita")


def test_a_pause_without_a_reason_is_refused_next_to_the_field(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Joana Pausa")
    page = new_person(ATTENDANT_SP)
    open_screen(page, order)
    page.locator("summary", has_text="Pausar").click()
    page.get_by_role("button", name="Pausar", exact=True).click()
    expect(page.locator(".resumo-erros")).to_contain_text("Informe o motivo.")
    expect(page.locator(".acao-detalhe[open] .erro")).to_have_text("Informe o motivo.")
    page.get_by_label("Motivo da pausa").fill("cliente vai trazer a receita nova")
    page.get_by_role("button", name="Pausar", exact=True).click()
    expect(page.locator("#resultado")).to_have_text("Pausada", timeout=8_000)
    expect(page.get_by_role("button", name="Retomar")).to_be_visible()
    expect(page.locator(".situacao")).to_contain_text("Pausada")


def test_an_action_on_a_stale_page_shows_why_it_was_refused(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Karina Atrasada")
    page = new_person(ATTENDANT_SP)
    open_screen(page, order)
    staff_api.act(order["order_id"], "cancel", reason="cliente desistiu")
    page.get_by_role("button", name="Avançar").click()
    expect(page.locator("#resultado")).to_contain_text("Recusada: ", timeout=8_000)
    expect(page.locator("#resultado")).to_have_class(re.compile("aviso-erro"))
    expect(page.locator(".situacao")).to_contain_text("Cancelada")


def test_the_order_screen_works_without_javascript(
    browser: Any, console_url: str, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Laura Semjs")
    context = browser.new_context(java_script_enabled=False, base_url=console_url)
    try:
        page = context.new_page()
        page.goto("/entrar")
        page.get_by_label("E-mail").fill(ATTENDANT_SP)
        page.get_by_label("Senha").fill("visao-clara-demo")
        page.get_by_role("button", name="Entrar").click()
        open_screen(page, order)
        page.get_by_role("button", name="Avançar").click()
        expect(page.locator("#resultado")).to_contain_text("Avançada para Envio ao laboratório")
        assert re.search(r"/os/[0-9a-f-]+\?acao=advance", page.url)
    finally:
        context.close()


def test_another_branch_gets_not_found_for_the_orders_url(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Marta Sigilo")
    page = new_person(ATTENDANT_RJ)
    response = page.goto(f"/os/{order['order_id']}")
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("OS não encontrada")
    assert "Marta" not in page.content()
    assert order["number"] not in page.content()


def test_the_viewer_sees_the_order_but_no_action_buttons(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Nina Consulta")
    page = new_person(VIEWER)
    open_screen(page, order)
    expect(page.locator(".etapa-current")).to_contain_text("Conferência da receita")
    expect(page.locator(".acoes")).to_have_count(0)
    expect(page.get_by_role("button", name="Avançar")).to_have_count(0)


def test_search_finds_an_order_by_phone_typed_another_way(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Otávio Busca", phone="(11) 96543-2109")
    page = new_person(ATTENDANT_SP)
    page.goto("/os")
    page.get_by_label("Número, nome ou telefone").fill("+55 11 965432109")
    page.get_by_label("Número, nome ou telefone").press("Enter")
    row = page.locator("table.lista-os tbody tr", has_text=order["number"])
    expect(row).to_contain_text("Otávio Busca")
    screenshot(page, "search")
    row.get_by_role("link", name=order["number"]).click()
    expect(page.locator("h1")).to_contain_text(order["number"])


def test_on_a_phone_each_order_found_is_a_card_that_needs_no_sideways_scrolling(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Otávio Celular")
    page = new_person(ATTENDANT_SP, phone=True)
    page.goto(f"/os?busca={order['number']}")
    row = page.locator("table.lista-os tbody tr", has_text=order["number"])
    expect(row).to_contain_text("Otávio Celular")
    results = page.locator("#resultados .tabela")
    # the card fits the screen: before, the eight columns scrolled sideways (≈ 700 px on 390)
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth"), results.evaluate(
        "e => [e.scrollWidth, e.clientWidth]"
    )
    assert labels_cut(page) == []  # "Responsável" whole, not wrapped over "Filial"
    stage = row.locator("td[data-rotulo='Etapa']")
    label = stage.evaluate("e => getComputedStyle(e, '::before').content")
    assert label == '"Etapa"', label  # each value says what it is
    expect(page.get_by_role("columnheader", name="Etapa")).to_have_count(1)  # still a table
    screenshot(page, "search-phone")


def _move_to(staff_api: StaffApi, order: dict[str, Any], stage: str) -> None:
    staff_api.act(order["order_id"], "advance", target_stage=stage)
    deadline = time.monotonic() + 15
    while staff_api.wait_for_order(order["order_id"])["stage_key"] != stage:
        assert time.monotonic() < deadline, f"the order never reached {stage}"
        time.sleep(0.2)


def test_the_buttons_follow_the_orders_stage_and_deliver_ends_it_at_the_last(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Rita Entrega")
    page = new_person(ATTENDANT_SP)
    open_screen(page, order)
    expect(page.get_by_role("button", name="Avançar")).to_be_visible()
    expect(page.locator("summary", has_text="Voltar")).to_have_count(0)  # the first stage
    expect(page.get_by_role("button", name="Entregar")).to_have_count(0)

    _move_to(staff_api, order, "montagem")
    open_screen(page, order)
    expect(page.locator("summary", has_text="Voltar")).to_have_count(1)
    expect(page.get_by_role("button", name="Entregar")).to_have_count(0)  # not ready yet
    dates = page.locator(".cliente dl.datas dt")
    expect(dates).to_have_text(["Prometida", "Previsão de conclusão"])

    _move_to(staff_api, order, "pronto-para-retirada")
    open_screen(page, order)
    expect(page.get_by_role("button", name="Avançar")).to_have_count(0)  # the last stage
    deliver = page.get_by_role("button", name="Entregar")
    expect(deliver).to_have_class(re.compile(r"\bprimario\b"))
    expect(dates).to_have_text(["Prometida", "Pronta desde"])  # not a forecast of the past
    screenshot(page, "order-last-stage")
    deliver.click()
    expect(page.locator("#resultado")).to_contain_text("Entregue ao cliente", timeout=8_000)
    expect(page.locator(".situacao")).to_contain_text("Entregue")
    expect(dates).to_have_text(["Prometida", "Entregue em"])


def test_a_closed_order_is_reopened_as_a_remake_from_the_order_screen(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Paulo Refação")
    staff_api.act(order["order_id"], "cancel", reason="cliente desistiu")
    deadline = time.monotonic() + 15
    while staff_api.wait_for_order(order["order_id"])["status"] != "cancelled":
        assert time.monotonic() < deadline, "the cancellation never reached workflow"
        time.sleep(0.2)
    page = new_person(ATTENDANT_SP)
    page.goto(f"/os/{order['order_id']}")
    expect(page.locator(".situacao")).to_contain_text("Cancelada")
    expect(page.locator(".etapa-current .quando")).to_have_text("cancelada aqui")  # not "vence"
    expect(page.get_by_role("button", name="Avançar")).to_have_count(0)
    page.locator("summary", has_text="Reabrir").click()
    page.get_by_role("button", name="Reabrir", exact=True).click()
    expect(page.locator(".resumo-erros")).to_contain_text("Escolha refação ou garantia.")
    expect(page.locator(".resumo-erros")).to_contain_text("Informe o motivo.")
    page.get_by_label("Refação").check()
    page.get_by_label("Motivo da reabertura").fill("lente riscada na montagem")
    page.get_by_role("button", name="Reabrir", exact=True).click()
    expect(page.locator("#resultado")).to_contain_text(
        f"OS reaberta como refação: lente riscada na montagem → OS {order['number']}-R1",
        timeout=8_000,
    )
    page.get_by_role("link", name=f"{order['number']}-R1").click()
    expect(page.locator("h1")).to_contain_text(f"{order['number']}-R1")


def test_assigning_someone_shows_them_as_responsible(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Quintino Responsável")
    page = new_person(ATTENDANT_SP)
    open_screen(page, order)
    page.locator("summary", has_text="Trocar responsável").click()
    # The branch's people, from workflow's copy of intake's users; the viewer is not offered.
    picker = page.get_by_label("Quem assume a OS")
    expect(picker.locator("option", has_text="Gustavo Gerente")).to_have_count(1)
    expect(picker.locator("option", has_text="Vera Consulta")).to_have_count(0)
    expect(picker.locator("option", has_text="Rafael Atendente")).to_have_count(0)  # RJ01
    picker.select_option(label="Gustavo Gerente")
    page.get_by_role("button", name="Trocar responsável", exact=True).click()
    expect(page.locator("#resultado")).to_contain_text("Atribuída a Gustavo Gerente")
    expect(page.locator(".responsavel")).to_contain_text("Gustavo Gerente")
    expect(page.locator(".linha-do-tempo li").first).to_contain_text("Gustavo Gerente")
    # Gustavo's work list has it; Alice's does not.
    manager = new_person(MANAGER_SP)
    manager.get_by_role("link", name="Minhas OS").click()
    expect(manager.locator("h1")).to_have_text("Minhas OS")
    expect(manager.locator('nav.menu [aria-current="page"]')).to_have_text("Minhas OS")
    expect(manager.locator("#resultados")).to_contain_text(order["number"])
    page.goto("/os?responsavel=me&situacao=open")
    expect(page.locator("#resultados")).not_to_contain_text(order["number"])
    screenshot(manager, "my-orders")


def test_a_stages_default_person_gets_each_new_order_and_shows_on_the_board(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    admin = new_person(ADMIN)
    admin.goto("/tipos/venda-oculos-grau")
    cell = admin.get_by_label("Conferência da receita em SP01")
    cell.select_option(label="Alice Atendente")
    admin.get_by_role("button", name="Salvar responsáveis").click()
    expect(admin.locator(".aviso-ok")).to_contain_text("Responsáveis salvos")
    expect(admin.get_by_label("Conferência da receita em SP01")).to_have_value(
        staff_api.user_id(ATTENDANT_SP)
    )
    screenshot(admin, "flow-responsibles")
    try:
        order = staff_api.open_order(customer="Ursula Automática")
        staff_api.wait_for_order(order["order_id"])
        alice = new_person(ATTENDANT_SP)
        open_screen(alice, order)
        expect(alice.locator(".responsavel")).to_contain_text("Alice Atendente (você)")
        expect(alice.locator(".linha-do-tempo")).to_contain_text(
            "Atribuída a Alice Atendente (responsável pela etapa “Conferência da receita”)"
        )
        alice.goto("/?tipo=venda-oculos-grau&responsavel=me")
        card = alice.locator(f"#os-{order['order_id']}")
        expect(card).to_contain_text("Alice Atendente")
        screenshot(alice, "board-my-orders")
    finally:
        admin.goto("/tipos/venda-oculos-grau")
        admin.get_by_label("Conferência da receita em SP01").select_option(label="ninguém")
        admin.get_by_role("button", name="Salvar responsáveis").click()
        expect(admin.locator(".aviso-ok")).to_contain_text("Responsáveis salvos")


def test_two_people_advancing_the_same_order_move_it_one_stage_not_two(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Olga Dupla")
    first, second = new_person(ATTENDANT_SP), new_person(ATTENDANT_SP)
    open_screen(first, order)
    open_screen(second, order)
    first.get_by_role("button", name="Avançar").click()
    expect(first.locator("#resultado")).to_contain_text("Avançada para", timeout=8_000)
    second.get_by_role("button", name="Avançar").click()
    expect(second.locator("#resultado")).to_contain_text(
        "mudou desde que você a viu", timeout=8_000
    )
    detail = staff_api.wait_for_order(order["order_id"])
    assert detail["stage_position"] == 1
