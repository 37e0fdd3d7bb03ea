"""Pessoas and Laboratórios: an admin adds a person who then signs in; a lab key shown once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser.conftest import PersonFactory, screenshot, sign_in
from tests.browser.people import ADMIN, MANAGER_SP, send_lab_update_for_unknown_order


def test_an_admin_adds_a_person_who_can_then_sign_in(new_person: PersonFactory) -> None:
    email = f"nova.{uuid.uuid4().hex[:8]}@visaoclara.demo"
    page = new_person(ADMIN)
    page.get_by_role("link", name="Pessoas").click()
    expect(page.get_by_role("table")).to_contain_text(MANAGER_SP)
    page.get_by_role("link", name="Cadastrar pessoa").click()

    page.get_by_label("E-mail").fill("sem-arroba")
    page.get_by_label("Senha inicial").fill("curta")
    page.get_by_role("button", name="Cadastrar").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("e-mail válido")
    expect(summary).to_contain_text("Informe o nome")
    expect(page.locator(".campo.com-erro", has=page.locator("#password"))).to_contain_text(
        "10 a 200 caracteres"
    )

    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Nome").fill("Nina Nova")
    page.get_by_label("Perfil").select_option(label="Atendente")
    page.get_by_label("SP01").check()
    page.get_by_label("Senha inicial").fill("senha-da-nina-1")
    page.get_by_role("button", name="Cadastrar").click()
    expect(page.get_by_role("status")).to_contain_text("Pessoa cadastrada")
    row = page.get_by_role("row", name="Nina Nova")
    expect(row).to_contain_text("atendente")
    expect(row).to_contain_text("SP01")

    page.get_by_role("link", name="Cadastrar pessoa").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Nome").fill("Outra Nina")
    page.get_by_label("Perfil").select_option(label="Consulta")
    page.get_by_label("Senha inicial").fill("senha-da-nina-2")
    page.get_by_role("button", name="Cadastrar").click()
    expect(page.locator(".campo.com-erro", has=page.locator("#email"))).to_contain_text(
        "Já existe uma pessoa com este e-mail"
    )

    nina = new_person()
    sign_in(nina, email, "senha-da-nina-1")
    expect(nina.locator("header")).to_contain_text("Nina Nova")
    expect(nina.locator("header")).to_contain_text("atendente")


def test_a_manager_changes_an_attendant_and_sees_intakes_refusal_for_herself(
    new_person: PersonFactory,
) -> None:
    page = new_person(MANAGER_SP)
    page.goto("/pessoas")
    page.get_by_role("row", name="atendente.sp@").get_by_role("link", name="Alterar").click()
    expect(page.get_by_label("Perfil")).to_have_value("attendant")
    options = page.get_by_label("Perfil").locator("option").all_text_contents()
    assert options == ["Atendente", "Consulta"]
    page.get_by_role("button", name="Salvar alterações").click()
    expect(page.get_by_role("status")).to_contain_text("Alterações salvas")

    page.get_by_role("row", name=MANAGER_SP).get_by_role("link", name="Alterar").click()
    page.get_by_label("Pode entrar no Etapa").uncheck()
    page.get_by_role("button", name="Salvar alterações").click()
    expect(page.get_by_role("alert")).to_contain_text("Gerente de filial só cadastra")


def test_an_admin_adds_a_lab_and_sees_a_new_key_only_once(new_person: PersonFactory) -> None:
    code = f"LAB{uuid.uuid4().hex[:6].upper()}"
    page = new_person(ADMIN)
    page.get_by_role("link", name="Laboratórios").click()
    # the demo's two labs, the slow one the analysis names among them
    expect(page.locator("#lab-LABDEMO")).to_contain_text("Laboratório Demo")
    expect(page.locator("#lab-LABLENTO")).to_contain_text("Laboratório Lento")
    page.get_by_label("Código").fill("com espaço")
    page.get_by_label("Nome", exact=True).fill("Lab Teste")
    page.get_by_role("button", name="Cadastrar laboratório").click()
    expect(page.get_by_role("alert")).to_contain_text("Código de 1 a 20 caracteres")

    page.get_by_label("Código").fill(code)
    page.get_by_label("Nome", exact=True).fill("Lab Teste")
    page.get_by_role("button", name="Cadastrar laboratório").click()
    expect(page.get_by_role("status")).to_contain_text("Laboratório cadastrado")
    lab = page.locator(f"#lab-{code}")
    lab.get_by_label("Descrição da nova chave").fill("ERP")
    lab.get_by_role("button", name="Criar chave").click()
    shown = page.locator("#chave-nova")
    expect(shown).to_contain_text("Copie agora, ela não será mostrada de novo")
    key = page.locator("#chave-valor").text_content()
    assert key
    assert len(key) > 20

    page.goto("/laboratorios")
    expect(page.locator(f"#lab-{code}")).to_contain_text("ativa")
    assert page.locator("#chave-nova").count() == 0
    assert key not in page.content()

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"#lab-{code}").get_by_role("button", name="Revogar").click()
    expect(page.get_by_role("status")).to_contain_text("Chave revogada")
    expect(page.locator(f"#lab-{code}")).to_contain_text("revogada em")


def _a_new_lab_and_its_key(page: Page, name: str) -> tuple[str, str]:
    """The admin registers a lab on Laboratórios and creates its first key: its code and key."""
    code = f"LAB{uuid.uuid4().hex[:6].upper()}"
    page.goto("/laboratorios")
    page.get_by_label("Código").fill(code)
    page.get_by_label("Nome", exact=True).fill(name)
    page.get_by_role("button", name="Cadastrar laboratório").click()
    page.locator(f"#lab-{code}").get_by_role("button", name="Criar chave").click()
    key = page.locator("#chave-valor").text_content()
    assert key
    return code, key


def test_an_admin_reads_why_a_labs_message_was_rejected_in_portuguese(
    new_person: PersonFactory, stack: dict[str, str]
) -> None:
    page = new_person(ADMIN)
    code, key = _a_new_lab_and_its_key(page, "Lab Recusas")
    send_lab_update_for_unknown_order(stack["intake"], key, "SP01-999998")

    page.goto("/laboratorios")
    row = page.get_by_role("row").filter(has_text=code)
    expect(row).to_contain_text("order_number: nenhuma OS SP01-999998 na rede deste laboratório")
    assert "in this lab's chain" not in page.content()
    screenshot(page, "labs-rejected-reason")
    row.get_by_role("button", name="Reprocessar").click()
    expect(page.get_by_role("status")).to_contain_text("recusada de novo")


def test_a_labs_clock_ahead_is_shown_in_the_shops_time_beside_what_the_lab_sent(
    new_person: PersonFactory, stack: dict[str, str]
) -> None:
    page = new_person(ADMIN)
    code, key = _a_new_lab_and_its_key(page, "Lab Relógio")
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    send_lab_update_for_unknown_order(stack["intake"], key, "SP01-999997", occurred_at=ahead)

    page.goto("/laboratorios")
    row = page.get_by_role("row").filter(has_text=code)
    shop_time = ahead.astimezone(ZoneInfo("America/Sao_Paulo")).strftime("%d/%m/%Y %H:%M")
    expect(row).to_contain_text(f"occurred_at: {shop_time} ({ahead.isoformat()}) está no futuro")
    screenshot(page, "labs-rejected-clock-ahead")


def test_a_manager_has_no_labs_entry_and_the_address_says_why(new_person: PersonFactory) -> None:
    page = new_person(MANAGER_SP)
    assert page.get_by_role("link", name="Laboratórios").count() == 0
    page.goto("/laboratorios")
    expect(page.get_by_role("heading", name="Sem permissão")).to_be_visible()
