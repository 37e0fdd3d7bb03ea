"""The customer's status page: the SMS link opens it on a phone, it follows the order, and
shows nothing but what the customer may see; made-up and expired links."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from playwright.sync_api import expect

from tests.browser.conftest import PersonFactory, screenshot
from tests.browser.people import ADMIN, StaffApi

LINK = re.compile(r"http://127\.0\.0\.1:\d+/a/[A-Za-z0-9_-]{11}")
PAGE_BUDGET = 30_000  # bytes: one HTML page and its stylesheet, for a 3G phone


def _sms_link(staff_api: StaffApi, order_id: str, timeout: float = 20) -> str:
    """The link at the end of the order's SMS, as the notifier sent it."""
    deadline = time.monotonic() + timeout
    while True:
        items = staff_api.call(
            ADMIN, "GET", "notifier", "/api/v1/messages", params={"order_id": order_id}
        )["items"]
        body = items[0]["body"] if items else None
        if body:
            found = LINK.search(body)
            assert found is not None, body
            assert body.endswith(found.group(0)), body  # the link is whole, at the end
            return found.group(0)
        if time.monotonic() > deadline:
            raise TimeoutError(f"no SMS for order {order_id}: {items}")
        time.sleep(0.3)


def _wait_stage(staff_api: StaffApi, order_id: str, stage: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        detail = staff_api.wait_for_order(order_id)
        if detail["stage_key"] == stage:
            return detail
        if time.monotonic() > deadline:
            raise TimeoutError(f"order {order_id} never reached {stage}: {detail['stage_key']}")
        time.sleep(0.2)


def test_the_sms_link_opens_the_customers_page_which_follows_an_advance(
    new_person: PersonFactory, staff_api: StaffApi, console_url: str
) -> None:
    order = staff_api.open_order(customer="Joana Rastreio Quintela", phone="(11) 98123-4567")
    other = staff_api.open_order(customer="Outra Pessoa Vizinha", phone="(11) 97000-1111")
    link = _sms_link(staff_api, order["order_id"])
    assert link.startswith(console_url + "/a/")

    customer = new_person(phone=True)
    requested: list[str] = []
    customer.on("request", lambda request: requested.append(request.url))
    response = customer.goto(link)
    assert response is not None
    assert response.status == 200
    assert response.headers["x-robots-tag"].startswith("noindex")
    assert "set-cookie" not in response.headers
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    expect(customer.locator("h1")).to_have_text("Olá, Joana!")
    expect(customer.locator("main")).to_contain_text(order["number"])
    expect(customer.locator("main")).to_contain_text("Óticas Visão Clara")
    expect(customer.locator("main")).to_contain_text("Av. Paulista, 1000")
    expect(customer.locator("main")).to_contain_text("seg–sex 9h–18h")
    current = customer.locator("ol.etapas li[aria-current='step']")
    expect(current).to_contain_text("Pedido recebido")  # the stage's customer-facing name
    expect(customer.locator("dl.datas dt")).to_have_text(["Previsão", "Combinado"])
    expect(customer.locator(".atraso")).to_have_count(0)  # the proposal was agreed
    expect(customer.get_by_role("link", name="Ligar para a loja")).to_have_attribute(
        "href", "tel:+551132531000"
    )
    assert customer.locator("meta[name='robots']").get_attribute("content") == "noindex, nofollow"
    assert customer.context.cookies() == []
    assert all(url.startswith(console_url) for url in requested), requested
    html = response.body()
    css = httpx.get(f"{console_url}/static/tracking.css").content
    assert len(html) + len(css) < PAGE_BUDGET, (len(html), len(css))
    icon = customer.locator("link[rel='icon']").get_attribute("href")
    assert icon is not None  # without one the browser asks for /favicon.ico: a 404 it reports
    assert httpx.get(f"{console_url}{icon}").status_code == 200
    page_text = html.decode()
    for private in ("98123", "4567", "Quintela", "Rastreio", order["order_id"], "Outra",
                    other["number"], "Envio ao laboratório", "Conferência da receita"):  # fmt: skip
        assert private not in page_text, private
    screenshot(customer, "customer-page")

    staff_api.act(order["order_id"], "advance")  # into a stage hidden from customers
    _wait_stage(staff_api, order["order_id"], "envio-laboratorio")
    customer.reload()
    expect(current).to_contain_text("Pedido recebido")
    staff_api.act(order["order_id"], "advance")
    _wait_stage(staff_api, order["order_id"], "producao")
    customer.reload()
    expect(current).to_contain_text("Produção das lentes")
    expect(customer.locator("ol.etapas li.done")).to_have_count(1)


def test_a_forecast_after_the_date_agreed_is_explained_to_the_customer(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()  # the branch's zone
    order = staff_api.open_order(customer="Rita Pressa Antunes", promised_date=today)
    customer = new_person(phone=True)
    customer.goto(_sms_link(staff_api, order["order_id"]))
    expect(customer.locator("dl.datas dd").nth(1)).to_have_text(today.strftime("%d/%m/%Y"))
    expect(customer.locator(".atraso")).to_have_text(
        "A previsão passou da data combinada. A loja já foi avisada;"
        " se precisar da sua OS antes, fale com a loja."
    )
    screenshot(customer, "customer-page-forecast-after-agreed")


def test_a_made_up_link_is_not_found_and_an_expired_one_shows_the_closed_page(
    new_person: PersonFactory, staff_api: StaffApi, stack: dict[str, str]
) -> None:
    customer = new_person(phone=True)
    made_up = customer.goto("/a/Xk3p9QzAb1c")
    assert made_up is not None
    assert made_up.status == 404
    expect(customer.locator("h1")).to_have_text("Link não encontrado")
    assert "set-cookie" not in made_up.headers

    order = staff_api.open_order(customer="Otávio Encerrado", phone="(11) 98222-3333")
    link = _sms_link(staff_api, order["order_id"])
    staff_api.act(order["order_id"], "advance", target_stage="pronto-para-retirada")
    _wait_stage(staff_api, order["order_id"], "pronto-para-retirada")
    customer.goto(link)
    # the status alone: the stage's own name ("Pronto para retirada") would say it twice
    expect(customer.locator("p.situacao")).to_have_text("Pronta para retirada")
    # ready now: no forecast of when it will be, only the date agreed
    expect(customer.locator("dl.datas dt")).to_have_text(["Combinado"])
    staff_api.act(order["order_id"], "deliver")
    deadline = time.monotonic() + 15
    while staff_api.wait_for_order(order["order_id"])["status"] != "delivered":
        assert time.monotonic() < deadline, "the order was never delivered"
        time.sleep(0.2)
    customer.reload()
    expect(customer.locator("main")).to_contain_text("Sua OS foi entregue")

    with psycopg.connect(stack["workflow_database"]) as db:  # 31 days later
        db.execute(
            "UPDATE orders SET closed_at = closed_at - interval '31 days' WHERE order_id = %s",
            (order["order_id"],),
        )
    expired = customer.goto(link)
    assert expired is not None
    assert expired.status == 404
    expect(customer.locator("h1")).to_have_text("Esta OS foi encerrada")
    expect(customer.locator("main")).to_contain_text("(11) 3253-1000")
    assert "Otávio" not in customer.content()
    assert order["number"] not in customer.content()
    screenshot(customer, "customer-page-closed")
