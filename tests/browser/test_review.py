"""Análise: the charts drawn from real deliveries, the period picker, and who may see it."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PersonFactory, screenshot, texts_outside_their_charts
from tests.browser.people import ADMIN, ATTENDANT_SP, MANAGER_SP, StaffApi


def _delivered(staff_api: StaffApi, customer: str, advances: int) -> dict[str, Any]:
    """An order opened, moved ``advances`` stages on and delivered, as workflow has it."""
    order = staff_api.open_order(customer=customer)
    flow = staff_api.call(ADMIN, "GET", "workflow", "/api/v1/service-types/venda-oculos-grau")
    for _ in range(advances):
        staff_api.act(order["order_id"], "advance")
        time.sleep(0.3)
    staff_api.act(order["order_id"], "advance", target_stage=flow["stages"][-1]["key"])
    time.sleep(0.3)
    staff_api.act(order["order_id"], "deliver")
    deadline = time.monotonic() + 15
    while (detail := staff_api.wait_for_order(order["order_id"]))["status"] != "delivered":
        assert time.monotonic() < deadline, detail["status"]
        time.sleep(0.2)
    return detail


def test_the_review_draws_its_charts_from_delivered_orders_and_the_period_can_change(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    for index in range(3):
        _delivered(staff_api, f"Análise Cliente {index}", advances=index + 1)
    on_time = staff_api.call(ADMIN, "GET", "workflow", "/api/v1/analytics/on-time")
    assert on_time["delivered"] >= 3, on_time
    assert on_time["weeks"], on_time

    page = new_person(MANAGER_SP)
    page.goto("/")
    page.get_by_role("link", name="Análise").click()
    expect(page.get_by_role("heading", name="Análise", exact=True)).to_be_visible()
    expect(page.locator("svg.grafico-colunas rect.barra").first).to_be_visible()
    slowest = page.locator("#g-lentas ~ div svg a.barra-link")
    expect(slowest.first).to_be_visible()
    assert page.locator("svg.grafico-barras rect.barra").count() >= 6
    # every chart has a name and a text alternative for screen readers
    for chart in page.locator("svg.grafico").all():
        assert chart.locator("title").first.text_content()
        summary = chart.get_attribute("aria-describedby")
        assert summary
        assert page.locator(f"#{summary} li").count() > 0
    # every label and value is drawn inside its chart, none cut at an edge
    assert texts_outside_their_charts(page) == []
    href = slowest.first.get_attribute("href")
    assert href
    assert href.startswith("/?tipo=")
    assert "#col-" in href
    screenshot(page, "review")

    page.locator("#de").fill("01/01/2001")
    page.locator("#ate").fill("31/01/2001")
    page.get_by_role("button", name="Ver período").click()
    expect(page.locator(".periodo")).to_contain_text("01/01/2001 a 31/01/2001")
    expect(page.locator("#analise-graficos")).to_contain_text("Nenhuma OS entregue")
    assert page.locator("svg.grafico").count() == 0

    page.get_by_role("link", name="365 dias").click()
    expect(page.locator("svg.grafico-colunas")).to_be_visible()

    page.locator("#de").fill("10/02/2026")
    page.locator("#ate").fill("01/02/2026")
    page.get_by_role("button", name="Ver período").click()
    expect(page.get_by_role("alert")).to_contain_text("antes da data final")

    slowest.first.click()
    expect(page.locator("section.quadro")).to_be_visible()


def test_an_attendant_has_no_review_entry_and_the_address_says_no_permission(
    new_person: PersonFactory,
) -> None:
    page = new_person(ATTENDANT_SP)
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
    assert page.get_by_role("link", name="Análise").count() == 0
    response = page.goto("/analise")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="Sem permissão")).to_be_visible()
    expect(page.locator("main")).to_contain_text("gerentes de filial e administradores")
