"""A session renewed while the person works, sign-out, and a service that is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in
from tests.browser.people import MANAGER_SP
from tests.infra import Infra
from tests.integration.harness import free_port
from tests.processes import running_services, wait_ready


@pytest.fixture(scope="module")
def console_without_workflow(infra: Infra, stack: dict[str, str]) -> Iterator[str]:
    """A second console whose workflow is unreachable, renewing every session on every page."""
    with running_services(
        infra,
        "browser",
        ("console",),
        CONSOLE_INTAKE_URL=stack["intake"],
        CONSOLE_WORKFLOW_URL=f"http://127.0.0.1:{free_port()}",
        CONSOLE_NOTIFIER_URL=stack["notifier"],
        CONSOLE_RENEW_BEFORE="3600",
    ) as urls:
        wait_ready(urls, ("console",), timeout=60)
        yield urls["console"]


@pytest.fixture
def person_there(browser: Browser, console_without_workflow: str) -> Iterator[Page]:
    context = browser.new_context(base_url=console_without_workflow, locale="pt-BR")
    page = context.new_page()
    yield page
    context.close()


def test_a_service_that_is_down_shows_a_banner_naming_it_not_a_trace(
    person_there: Page,
) -> None:
    sign_in(person_there, MANAGER_SP)
    main = person_there.locator("main")
    expect(main).to_contain_text("Serviço fora do ar")
    expect(main).to_contain_text("fluxo de OS (workflow)")
    expect(person_there.locator("header")).to_contain_text("Gustavo Gerente")
    assert "Traceback" not in person_there.content()


def test_a_token_close_to_expiry_is_renewed_while_the_person_works(person_there: Page) -> None:
    sign_in(person_there, MANAGER_SP)
    first = _session_cookie(person_there)
    person_there.wait_for_timeout(1100)  # a new token has a later iat and exp
    person_there.goto("/")
    renewed = _session_cookie(person_there)
    assert renewed != first
    person_there.goto("/")
    assert "/entrar" not in person_there.url  # the renewed token is a working session


def test_sign_out_ends_the_session(person_there: Page) -> None:
    sign_in(person_there, MANAGER_SP)
    person_there.get_by_role("button", name="Sair").click()
    person_there.wait_for_url(lambda url: "/entrar" in url)
    person_there.goto("/")
    assert "/entrar" in person_there.url


def _session_cookie(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "etapa_sessao")
