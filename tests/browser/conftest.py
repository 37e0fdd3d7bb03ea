"""The four services as processes with the demo chain, and Debian's Chromium driven by Playwright.

Browser tests are sync (Playwright's sync API) and share one browser; each test opens its own
contexts (a context is a person: its own cookies). Chromium is Debian's (``/usr/bin/chromium``,
installed by ``.ci/run`` when missing); Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.people import StaffApi
from tests.infra import Infra
from tests.processes import running_services, wait_ready

CHROMIUM = os.environ.get("ETAPA_CHROMIUM", "/usr/bin/chromium")
BROWSER_TEST_TIMEOUT = 300
"""Seconds per browser test: the first one also starts four services and seeds the demo chain,
which takes minutes on a loaded two-core machine."""
SERVICES = ("intake", "workflow", "notifier", "console")
SCREENSHOTS = Path(os.environ.get("ETAPA_SCREENSHOT_DIR", "/tmp/etapa-screenshots"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


@pytest.fixture(scope="session")
def stack(infra: Infra) -> Iterator[dict[str, str]]:
    with running_services(
        infra,
        "browser",
        SERVICES,
        demo=True,
        NOTIFIER_DISPATCH_INTERVAL="0.2",
        NOTIFIER_SENDING_HOURS="always",
        WORKFLOW_RISK_SWEEP_INTERVAL="1",
    ) as urls:
        wait_ready(urls, SERVICES, timeout=90)
        yield urls


@pytest.fixture(scope="session")
def console_url(stack: dict[str, str]) -> str:
    return stack["console"]


@pytest.fixture(scope="session")
def staff_api(stack: dict[str, str]) -> StaffApi:
    return StaffApi(stack)


@pytest.fixture(scope="session")
def browser(stack: dict[str, str]) -> Iterator[Browser]:
    """Chromium, started after (and so stopped before) the services and the infrastructure:
    Playwright's sync API keeps an event loop running while it is open."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install "
            "chromium); .ci/run does it when it is missing.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


class PersonFactory(Protocol):
    """``new_person(email, phone=False)``: a new browser context (a person), signed in."""

    def __call__(self, email: str | None = None, *, phone: bool = False) -> Page: ...


@pytest.fixture
def new_person(browser: Browser, console_url: str) -> Iterator[PersonFactory]:
    contexts: list[BrowserContext] = []

    def make(email: str | None = None, *, phone: bool = False) -> Page:
        width, height = (390, 844) if phone else (1366, 900)
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="pt-BR", base_url=console_url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if email is not None:
            sign_in(page, email)
        return page

    yield make
    for context in contexts:
        context.close()


DEMO_PASSWORD = "visao-clara-demo"


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/entrar")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(lambda url: "/entrar" not in url)


def labels_cut(page: Page) -> list[str]:
    """The labels of the lists shown as cards on a phone (``table.em-cartoes``) that do not fit
    their column."""
    cut: list[str] = page.evaluate(
        """() => {
            const pen = document.createElement('canvas').getContext('2d');
            return [...document.querySelectorAll('table.em-cartoes td[data-rotulo]')]
                .filter(cell => {
                    const label = getComputedStyle(cell, '::before');
                    pen.font = `${label.fontWeight} ${label.fontSize} ${label.fontFamily}`;
                    return pen.measureText(cell.dataset.rotulo).width > parseFloat(label.width);
                }).map(cell => cell.dataset.rotulo);
        }"""
    )
    return cut


def texts_outside_their_charts(page: Page) -> list[str]:
    """The labels and values of the page's charts that are drawn past an edge of their chart
    (cut off on the screen)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('svg.grafico')].flatMap(svg =>
            [...svg.querySelectorAll('text')].filter(text => {
                const box = text.getBBox();
                return box.x < 0 || box.x + box.width > svg.viewBox.baseVal.width;
            }).map(text => text.textContent))"""
    )
    return found


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG under ``ETAPA_SCREENSHOT_DIR`` for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
