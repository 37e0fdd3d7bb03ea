"""The customer's page as words: status, steps, dates, the branch's phone links."""

from __future__ import annotations

import pytest

from console.domain.tracking import phone_links, tracking_page

OPEN = {
    "status": "open",
    "chain_name": "Óticas Visão Clara",
    "branch": {"name": "Paulista", "address": "Av. Paulista, 1000", "phone": "(11) 3253-1000",
               "opening_hours": "seg–sex 9h–18h"},
    "customer_first_name": "Maria",
    "order_number": "SP01-000123",
    "stages": [{"name": "Pedido recebido", "progress": "done"},
               {"name": "Montagem", "progress": "current"},
               {"name": "Pronto para retirada", "progress": "upcoming"}],
    "current_stage": "Montagem",
    "promised_date": "2026-12-09",
    "forecast_date": "2026-12-11",
    "link_expires_at": None,
}  # fmt: skip


def test_an_open_order_reads_in_plain_portuguese() -> None:
    page = tracking_page(200, OPEN)
    assert (page.kind, page.status_label, page.title) == ("order", "Em andamento", "OS SP01-000123")
    assert (page.promised, page.forecast) == ("09/12/2026", "11/12/2026")
    assert [(s.name, s.label) for s in page.stages] == [
        ("Pedido recebido", "concluída"), ("Montagem", "etapa atual"),
        ("Pronto para retirada", "próxima"),
    ]  # fmt: skip
    assert page.branch is not None
    assert (page.branch.tel_href, page.branch.whatsapp_href) == ("tel:+551132531000", None)


@pytest.mark.parametrize(
    ("status", "label"),
    [("ready", "Pronta para retirada"), ("delivered", "Entregue"), ("cancelled", "Cancelada")],
)
def test_each_status_has_its_words(status: str, label: str) -> None:
    assert tracking_page(200, OPEN | {"status": status}).status_label == label


@pytest.mark.parametrize(
    ("code", "body", "kind", "title"),
    [
        (404, {"status": "not_found"}, "not_found", "Link não encontrado"),
        (404, None, "not_found", "Link não encontrado"),
        (404, {"status": "expired", "branch": OPEN["branch"]}, "expired", "OS encerrada"),
        (429, None, "too_many", "Muitas tentativas"),
        (200, {"status": "weird"}, "not_found", "Link não encontrado"),
    ],
)
def test_unknown_expired_and_refused_links(
    code: int, body: dict[str, object] | None, kind: str, title: str
) -> None:
    page = tracking_page(code, body)
    assert (page.kind, page.title, page.order_number, page.stages) == (kind, title, None, ())


def test_an_expired_link_keeps_the_branch_to_call() -> None:
    page = tracking_page(404, {"status": "expired", "branch": OPEN["branch"]})
    assert page.branch is not None
    assert page.branch.phone == "(11) 3253-1000"


@pytest.mark.parametrize(
    ("phone", "tel", "whatsapp"),
    [
        ("(11) 98765-4321", "tel:+5511987654321", "https://wa.me/5511987654321"),
        ("+55 11 98765-4321", "tel:+5511987654321", "https://wa.me/5511987654321"),
        ("(92) 3633-3000", "tel:+559236333000", None),
        ("0800 123 4567", "tel:08001234567", None),
        (None, None, None),
        ("", None, None),
    ],
)
def test_phone_links(phone: str | None, tel: str | None, whatsapp: str | None) -> None:
    assert phone_links(phone) == (tel, whatsapp)


@pytest.mark.parametrize(
    ("status", "forecast", "said"),
    [
        ("open", "2026-12-11", True),  # two days after the date agreed
        ("open", "2026-12-09", False),  # on the day
        ("open", "2026-12-08", False),
        ("open", None, False),
        ("ready", "2026-12-11", False),  # ready: the forecast no longer matters
    ],
)
def test_a_forecast_after_the_date_agreed_is_said_in_words(
    status: str, forecast: str | None, said: bool
) -> None:
    page = tracking_page(200, OPEN | {"status": status, "forecast_date": forecast})
    assert page.forecast_after_promised is said
