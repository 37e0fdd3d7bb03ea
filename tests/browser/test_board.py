"""Sign-in, the board, and live updates scoped to the person, in a real browser."""

from __future__ import annotations

import re
import threading
import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import PersonFactory, screenshot
from tests.browser.people import ATTENDANT_RJ, ATTENDANT_SP, MANAGER_SP, StaffApi


def test_a_page_without_a_session_goes_to_sign_in_and_back(new_person: PersonFactory) -> None:
    page = new_person()
    page.goto("/?busca=SP01")
    assert "/entrar" in page.url
    page.get_by_label("E-mail").fill(MANAGER_SP)
    page.get_by_label("Senha").fill("visao-clara-demo")
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r"/\?busca=SP01$"))
    expect(page.locator("#busca")).to_have_value("SP01")


def test_a_wrong_password_is_refused_in_portuguese(new_person: PersonFactory) -> None:
    page = new_person()
    page.goto("/entrar")
    page.get_by_label("E-mail").fill(MANAGER_SP)
    page.get_by_label("Senha").fill("errada")
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("alert")).to_contain_text("E-mail ou senha incorretos")
    assert "/entrar" in page.url


def test_the_board_shows_who_is_signed_in_and_the_open_orders(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Beatriz Quadro")
    page = new_person(MANAGER_SP)
    page.goto("/?tipo=venda-oculos-grau")
    expect(page.locator("header")).to_contain_text("gerente de filial")
    expect(page.locator("header")).to_contain_text("Óticas Visão Clara")
    card = page.locator(f"#os-{order['order_id']}")
    expect(card).to_contain_text(order["number"])
    expect(card).to_contain_text("Beatriz")
    expect(card).not_to_contain_text("Quadro")  # the first name only on a card
    column = page.locator("section.coluna", has=card)
    expect(column.locator("h2")).to_contain_text("Conferência da receita")
    screenshot(page, "board")


def test_an_advance_moves_the_card_on_another_persons_board_without_reload(
    new_person: PersonFactory, staff_api: StaffApi
) -> None:
    order = staff_api.open_order(customer="Carla Viva")
    watcher = new_person(MANAGER_SP)
    watcher.goto("/?tipo=venda-oculos-grau")
    card = watcher.locator(f"#os-{order['order_id']}")
    expect(watcher.locator("section.coluna", has=card).locator("h2")).to_contain_text(
        "Conferência da receita"
    )
    expect(watcher.locator("#ao-vivo")).to_have_text("● ao vivo")
    watcher.evaluate("window.__sem_recarregar = true")
    staff_api.act(order["order_id"], "advance")
    moved = watcher.locator("section.coluna", has=watcher.locator(f"#os-{order['order_id']}"))
    expect(moved.locator("h2")).to_contain_text("Envio ao laboratório", timeout=5_000)
    assert watcher.evaluate("window.__sem_recarregar") is True  # the page was not reloaded


def test_another_branch_sees_neither_the_card_nor_its_live_updates(
    new_person: PersonFactory, staff_api: StaffApi, console_url: str
) -> None:
    sp_order = staff_api.open_order(customer="Sigilo Paulista")
    rj_order = staff_api.open_order(
        email=ATTENDANT_RJ, branch="RJ01", customer="Rita Carioca", phone="(21) 98888-7777"
    )
    rj = new_person(ATTENDANT_RJ)
    rj.goto("/?tipo=venda-oculos-grau")
    expect(rj.locator(f"#os-{rj_order['order_id']}")).to_be_visible()
    assert rj.locator(f"#os-{sp_order['order_id']}").count() == 0
    assert "Sigilo" not in rj.content()
    rj.goto(f"/os/{sp_order['order_id']}")
    expect(rj.locator("main")).to_contain_text("Não encontrad")

    received = _live_events(
        rj,
        console_url,
        seconds=4.0,
        during=lambda: (
            staff_api.act(sp_order["order_id"], "advance"),
            staff_api.act(rj_order["order_id"], "advance", email=ATTENDANT_RJ),
        ),
    )
    assert any(rj_order["order_id"] in line for line in received), received
    assert not any(sp_order["order_id"] in line for line in received), received


def test_pages_carry_a_strict_content_security_policy_and_load_nothing_from_elsewhere(
    new_person: PersonFactory, console_url: str
) -> None:
    page = new_person()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/entrar")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    page.get_by_label("E-mail").fill(ATTENDANT_SP)
    page.get_by_label("Senha").fill("visao-clara-demo")
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(lambda url: "/entrar" not in url)
    assert requested
    assert all(url.startswith(console_url) for url in requested), requested
    cookie = next(c for c in page.context.cookies() if c["name"] == "etapa_sessao")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"


def test_a_form_posted_without_its_csrf_token_is_refused(console_url: str) -> None:
    response = httpx.post(
        f"{console_url}/entrar", data={"email": MANAGER_SP, "password": "visao-clara-demo"}
    )
    assert response.status_code == 403


def _live_events(page: Page, console_url: str, seconds: float, during: object) -> list[str]:
    """The SSE lines the person's session receives while ``during()`` runs."""
    session = next(c for c in page.context.cookies() if c["name"] == "etapa_sessao")
    lines: list[str] = []
    connected = threading.Event()

    def listen() -> None:
        cookies = {"etapa_sessao": session["value"]}
        deadline = time.monotonic() + seconds
        try:
            with httpx.stream(
                "GET", f"{console_url}/ao-vivo", cookies=cookies, timeout=seconds + 5
            ) as response:
                for line in response.iter_lines():
                    connected.set()
                    lines.append(line)
                    if time.monotonic() > deadline:
                        return
        except httpx.TransportError:
            return  # quiet stream: the read timed out after the deadline

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert connected.wait(10), "the live stream did not open"
    assert callable(during)
    during()
    thread.join(seconds + 10)
    return lines
