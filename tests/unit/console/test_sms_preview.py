"""The SMS preview uses the project's renderer: example data, GSM-7 or UCS-2, parts, errors."""

from __future__ import annotations

from datetime import date

from console.usecases.sms_preview import preview_sms

TODAY = date(2026, 12, 2)


def test_a_template_with_accents_is_counted_as_ucs2_and_says_why() -> None:
    preview = preview_sms(
        "Olá {nome}! Recebemos sua OS {numero_os} na {filial}. "
        "Previsão de entrega: {data_prometida}.",
        "Avaliação",
        TODAY,
    )
    assert preview.text == (
        "Olá Maria! Recebemos sua OS SP01-000123 na Visão Clara Paulista. "
        "Previsão de entrega: 09/12/2026."
    )
    assert preview.summary == "97 caracteres · 2 partes (acentos usam UCS-2)"
    assert preview.used == {"nome", "numero_os", "filial", "data_prometida"}


def test_plain_text_is_gsm7_in_one_part() -> None:
    preview = preview_sms("Oi {nome}, sua OS esta em {etapa}.", "Montagem", TODAY)
    assert preview.text == "Oi Maria, sua OS esta em Montagem."
    assert preview.summary == "34 caracteres · 1 parte"


def test_an_unknown_placeholder_is_an_error_and_nothing_is_rendered() -> None:
    preview = preview_sms("Oi {cliente}", "Montagem", TODAY)
    assert preview.text == ""
    assert preview.errors
    assert "placeholder desconhecido {cliente}" in preview.errors[0]


def test_a_blank_template_means_no_message() -> None:
    assert preview_sms("   ", "Montagem", TODAY).empty


def test_more_than_three_parts_is_flagged_as_too_long() -> None:
    assert preview_sms("Ação " * 60, "Montagem", TODAY).too_long


def test_the_link_in_the_preview_is_as_long_as_a_real_one() -> None:
    preview = preview_sms("Acompanhe: {link}", "Montagem", TODAY, "http://127.0.0.1:8003")
    assert preview.text == "Acompanhe: http://127.0.0.1:8003/a/Xk3p9QzA2bC"
    assert len(preview.text.rsplit("/", 1)[1]) == 11  # secrets.token_urlsafe(8)


def test_without_a_tracking_base_the_preview_leaves_the_link_out_as_the_notifier_does() -> None:
    assert "/a/" not in preview_sms("Acompanhe: {link}", "Montagem", TODAY).text
