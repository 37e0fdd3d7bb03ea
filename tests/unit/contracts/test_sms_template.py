from dataclasses import replace
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from etapa_contracts.sms_template import (
    PLACEHOLDERS,
    SegmentCount,
    TemplateError,
    TemplateValues,
    compose_sms,
    count_segments,
    find_template_errors,
    fit_keeping_link,
    fit_to_segments,
    render_template,
    tracking_url,
    transliterate,
)

VALUES = TemplateValues(
    customer_name="MARIA DA SILVA",
    order_number="SP01-000123",
    stage_name="Pronto para retirada",
    promised_date=date(2025, 5, 10),
    forecast_date=date(2025, 5, 8),
    branch_name="Centro",
    branch_phone="(11) 3333-4444",
    tracking_link="https://etapa.app/o/abc123",
)
EXTENSION_CHARS = "{}[]~\\|^€\f"
PORTUGUESE_NOT_IN_GSM7 = "ãõâêôáíóúçÃÕÂÊÔÁÍÓÚ"
IN_GSM7_BASIC = "éàüÇñÉÄÖÑÜäöèùìòÅåØøÆæß¡¿§£¥¤@$_ΔΦΓΛΩΠΨΣΘΞ\n\r"


# --- errors --------------------------------------------------------------------------------


def test_placeholders_are_the_eight_documented_names() -> None:
    assert (
        frozenset(
            {
                "nome",
                "numero_os",
                "etapa",
                "data_prometida",
                "previsao",
                "filial",
                "telefone_filial",
                "link",
            }
        )
        == PLACEHOLDERS
    )


@pytest.mark.parametrize(
    "template",
    [
        "Olá {nome}, sua OS {numero_os} está em {etapa}.",
        "Prometido {data_prometida}, previsão {previsao}. {filial} {telefone_filial} {link}",
        "Chaves literais: {{nome}} e }} e {{",
        "sem placeholders",
    ],
)
def test_valid_templates_have_no_errors(template: str) -> None:
    assert find_template_errors(template) == []


@pytest.mark.parametrize(
    ("template", "expected_fragments"),
    [
        ("", ["o modelo está vazio"]),
        ("   \n ", ["o modelo está vazio"]),
        ("Olá {xyz}", ["placeholder desconhecido {xyz}; use um de: {data_prometida}, {etapa},"]),
        ("Olá {Nome}", ["placeholder desconhecido {Nome}"]),
        ("Olá {nome!r}", ["formatação não permitida em {nome!r}; escreva apenas {nome}"]),
        ("Olá {nome:>10}", ["formatação não permitida em {nome:>10}"]),
        ("Olá {nome:{largura}}", ["formatação não permitida em {nome:{largura}}"]),
        ("Olá {}", ["placeholder vazio {}"]),
        ("Olá {0}", ["placeholder posicional {0} não permitido"]),
        ("Olá {nome.upper}", ["acesso a atributo ou índice não permitido em {nome.upper}"]),
        ("Olá {nome[0]}", ["acesso a atributo ou índice não permitido em {nome[0]}"]),
        ("Olá {nome", ["'{' sem '}' correspondente na posição 5"]),
        ("Olá nome}", ["'}' sem '{' correspondente na posição 9"]),
        ("Olá {nome {etapa}", ["'{' sem '}' correspondente na posição 5"]),
        (
            "{xyz} e {nome!s} e }",
            [
                "placeholder desconhecido {xyz}",
                "formatação não permitida em {nome!s}",
                "'}' sem '{' correspondente na posição 20",
            ],
        ),
    ],
)
def test_each_problem_gets_one_message_that_names_it(
    template: str, expected_fragments: list[str]
) -> None:
    errors = find_template_errors(template)

    assert len(errors) == len(expected_fragments)
    for error, fragment in zip(errors, expected_fragments, strict=True):
        assert fragment in error


def test_unknown_placeholder_message_lists_every_allowed_name() -> None:
    (error,) = find_template_errors("{xyz}")

    assert all("{" + name + "}" in error for name in PLACEHOLDERS)


def test_the_same_problem_twice_is_reported_once() -> None:
    assert len(find_template_errors("{xyz} {xyz}")) == 1


# --- rendering -----------------------------------------------------------------------------


def test_render_fills_every_placeholder() -> None:
    template = (
        "{nome}|{numero_os}|{etapa}|{data_prometida}|{previsao}|{filial}|{telefone_filial}|{link}"
    )

    assert render_template(template, VALUES) == (
        "Maria|SP01-000123|Pronto para retirada|10/05/2025|08/05/2025|Centro|(11) 3333-4444"
        "|https://etapa.app/o/abc123"
    )


@pytest.mark.parametrize(
    ("customer_name", "expected"),
    [
        ("MARIA DA SILVA", "Maria"),
        ("maria da silva", "Maria"),
        ("  JOÃO   PEDRO ", "João"),
        ("ÉRICA", "Érica"),
        ("ANA-CLARA SOUZA", "Ana-Clara"),
        ("McKenzie Santos", "McKenzie"),
        ("Maria", "Maria"),
        ("", "cliente"),
        ("   ", "cliente"),
    ],
)
def test_nome_is_the_first_name_capitalised_sensibly(customer_name: str, expected: str) -> None:
    values = replace(VALUES, customer_name=customer_name)

    assert render_template("{nome}", values) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 1, 2), "02/01/2025"),
        (date(2025, 12, 31), "31/12/2025"),
        (None, "a confirmar"),
    ],
)
def test_dates_are_dd_mm_aaaa_or_a_confirmar(day: date | None, expected: str) -> None:
    values = replace(VALUES, promised_date=day, forecast_date=day)

    assert render_template("{data_prometida} {previsao}", values) == f"{expected} {expected}"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Acompanhe em {link}", "Acompanhe em"),
        ("Acompanhe em {link}.", "Acompanhe em."),
        ("{link} Olá", "Olá"),
        ("Ligue {telefone_filial} ou acesse {link} hoje", "Ligue ou acesse hoje"),
        ("Ligue {telefone_filial} {link} hoje", "Ligue hoje"),
        ("Olá\n{link}\nFim", "Olá\n\nFim"),
        ("Olá\n{link} Fim", "Olá\nFim"),
        ("Link:{link}!", "Link:!"),
    ],
)
def test_missing_link_and_phone_vanish_without_leaving_double_spaces(
    template: str, expected: str
) -> None:
    values = replace(VALUES, branch_phone=None, tracking_link="  ")

    assert render_template(template, values) == expected


def test_literal_braces_render_as_single_braces() -> None:
    assert render_template("{{nome}} é {nome} }}", VALUES) == "{nome} é Maria }"


def test_values_are_not_parsed_as_templates() -> None:
    values = replace(VALUES, branch_name="Loja {etapa}")

    assert render_template("{filial}", values) == "Loja {etapa}"


def test_rendering_an_invalid_template_raises_with_every_message() -> None:
    with pytest.raises(TemplateError) as caught:
        render_template("Olá {xyz} {nome!r}", VALUES)

    assert isinstance(caught.value, ValueError)
    assert caught.value.errors == find_template_errors("Olá {xyz} {nome!r}")
    assert len(caught.value.errors) == 2


# --- segments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentCount("GSM-7", 0, 0)),
        ("Seu pedido esta pronto", SegmentCount("GSM-7", 22, 1)),
        ("Olá Maria, seu pedido está pronto", SegmentCount("UCS-2", 33, 1)),
        ("Você é ótima", SegmentCount("UCS-2", 12, 1)),
        ("café à Çedilha ñ ü", SegmentCount("GSM-7", 18, 1)),
        ("{nome}", SegmentCount("GSM-7", 8, 1)),
        ("R$ 10 €", SegmentCount("GSM-7", 8, 1)),
        ("Pronto 👓", SegmentCount("UCS-2", 9, 1)),
        ("pronto…", SegmentCount("UCS-2", 7, 1)),
        ("tab\there", SegmentCount("UCS-2", 8, 1)),
    ],
)
def test_count_segments_picks_the_encoding_and_counts_its_units(
    text: str, expected: SegmentCount
) -> None:
    assert count_segments(text) == expected


@pytest.mark.parametrize("char", list(PORTUGUESE_NOT_IN_GSM7))
def test_portuguese_letters_outside_gsm7_force_ucs2(char: str) -> None:
    assert count_segments(f"a{char}").encoding == "UCS-2"


@pytest.mark.parametrize("char", list(IN_GSM7_BASIC))
def test_basic_table_letters_stay_gsm7_and_cost_one_septet(char: str) -> None:
    assert count_segments(char) == SegmentCount("GSM-7", 1, 1)


@pytest.mark.parametrize("char", list(EXTENSION_CHARS))
def test_extension_table_characters_cost_two_septets(char: str) -> None:
    assert count_segments(char) == SegmentCount("GSM-7", 2, 1)


@pytest.mark.parametrize(
    ("text", "characters", "segments"),
    [
        ("a" * 160, 160, 1),
        ("a" * 161, 161, 2),
        ("a" * 306, 306, 2),
        ("a" * 307, 307, 3),
        ("[" * 80, 160, 1),
        ("a" + "[" * 80, 161, 2),
        ("a" * 159 + "€", 161, 2),
        ("a" * 152 + "€" + "a" * 152, 306, 3),  # the escape pair is not split
        ("ã" * 70, 70, 1),
        ("ã" * 71, 71, 2),
        ("ã" * 134, 134, 2),
        ("ã" * 135, 135, 3),
        ("👓" * 35, 70, 1),
        ("ã" + "👓" * 35, 71, 2),
        ("ã" * 66 + "👓" + "ã" * 66, 134, 3),  # the surrogate pair is not split
    ],
)
def test_segment_boundaries_are_exact(text: str, characters: int, segments: int) -> None:
    count = count_segments(text)

    assert (count.characters, count.segments) == (characters, segments)


@given(st.text(alphabet="abc XYZ019.,", max_size=1000))
def test_plain_gsm7_text_needs_one_segment_up_to_160_then_one_per_153(text: str) -> None:
    expected = 0 if not text else 1 if len(text) <= 160 else -(-len(text) // 153)

    assert count_segments(text) == SegmentCount("GSM-7", len(text), expected)


# --- fitting -------------------------------------------------------------------------------


def test_text_that_fits_is_returned_unchanged() -> None:
    text = "a" * 160

    assert fit_to_segments(text, 1) is text


def test_long_text_is_cut_at_a_word_boundary_with_three_dots() -> None:
    text = "palavra " * 30  # 240 GSM-7 characters

    fitted = fit_to_segments(text, 1)

    assert fitted == "palavra " * 18 + "palavra..."
    assert count_segments(fitted) == SegmentCount("GSM-7", 154, 1)


def test_ellipsis_is_three_dots_so_gsm7_text_stays_gsm7() -> None:
    fitted = fit_to_segments("x" * 149 + " pronto. Retire na loja Centro.", 1)

    assert fitted == "x" * 149 + " pronto..."  # its own period is not kept before the dots
    assert count_segments(fitted).encoding == "GSM-7"


def test_a_single_long_word_is_cut_hard() -> None:
    assert fit_to_segments("x" * 200, 1) == "x" * 157 + "..."


def test_cutting_off_the_only_accent_lets_the_text_use_gsm7() -> None:
    text = "a " * 100 + "ã"

    fitted = fit_to_segments(text, 1)

    assert count_segments(fitted).encoding == "GSM-7"
    assert len(fitted) > 70


@pytest.mark.parametrize("max_segments", [0, -1])
def test_fit_needs_at_least_one_segment(max_segments: int) -> None:
    with pytest.raises(ValueError, match="max_segments"):
        fit_to_segments("texto", max_segments)


SMS_TEXT = st.text(
    alphabet=st.sampled_from(
        "abcdefghij ABC 0123 .,;-\n👓é…" + EXTENSION_CHARS + PORTUGUESE_NOT_IN_GSM7
    )
    | st.characters(),
    max_size=800,
)


@given(SMS_TEXT, st.integers(min_value=1, max_value=6))
def test_fitted_text_always_fits(text: str, max_segments: int) -> None:
    fitted = fit_to_segments(text, max_segments)

    assert count_segments(fitted).segments <= max_segments
    if count_segments(text).segments <= max_segments:
        assert fitted == text
    else:
        assert fitted.endswith("...")
        assert text.startswith(fitted[:-3])


# --- rendering laws ------------------------------------------------------------------------

LITERAL = st.text(alphabet=st.sampled_from("Olá, pedido {}!\nã€"), max_size=20)
PIECES = st.lists(st.one_of(LITERAL, st.sampled_from(sorted(PLACEHOLDERS)).map(lambda n: (n,))))
BRACELESS = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=30)


@given(
    PIECES,
    st.builds(
        TemplateValues,
        customer_name=BRACELESS,
        order_number=BRACELESS,
        stage_name=BRACELESS,
        promised_date=st.none() | st.dates(),
        forecast_date=st.none() | st.dates(),
        branch_name=BRACELESS,
        branch_phone=st.none() | BRACELESS,
        tracking_link=st.none() | BRACELESS,
    ),
)
def test_rendering_a_valid_template_leaves_only_literal_braces(
    pieces: list[str | tuple[str]], values: TemplateValues
) -> None:
    template = "".join(
        "{" + piece[0] + "}"
        if isinstance(piece, tuple)
        else piece.replace("{", "{{").replace("}", "}}")
        for piece in pieces
    )
    literal_text = "".join(piece for piece in pieces if isinstance(piece, str))
    assume(template.strip())

    assert find_template_errors(template) == []
    rendered = render_template(template, values)
    assert rendered.count("{") == literal_text.count("{")
    assert rendered.count("}") == literal_text.count("}")


# --- the link survives whole ---------------------------------------------------------------

LINK = "http://127.0.0.1:8003/a/Xk3p9QzAb1c"
LONG_GSM = "Olá Maria! Sua OS SP01-000123 entrou na etapa de produção das lentes " * 4


@pytest.mark.parametrize(
    ("base", "token", "expected"),
    [
        ("http://127.0.0.1:8003", "Xk3p9QzAb1c", LINK),
        ("http://127.0.0.1:8003/", "Xk3p9QzAb1c", LINK),
        (" https://acompanhe.example.com.br ", "abc", "https://acompanhe.example.com.br/a/abc"),
        (None, "abc", None),
        ("", "abc", None),
        ("https://x.example", None, None),
    ],
)
def test_tracking_url_is_base_slash_a_slash_token(
    base: str | None, token: str | None, expected: str | None
) -> None:
    assert tracking_url(base, token) == expected


@pytest.mark.parametrize(
    ("text", "max_segments", "expected"),
    [
        # fits: unchanged
        (f"Olá! Acompanhe: {LINK}", 1, f"Olá! Acompanhe: {LINK}"),
        # too long: the text before the link is cut at a word, the link kept whole
        (
            "Ola Maria! Sua OS SP01-000123 esta pronta para retirada na loja Visao Clara "
            "Paulista, Av. Paulista 1000, de segunda a sexta das 9h as 18h. Acompanhe: " + LINK,
            1,
            "Ola Maria! Sua OS SP01-000123 esta pronta para retirada na loja Visao Clara "
            "Paulista, Av. Paulista 1000, de segunda a... " + LINK,
        ),
        # text after the link stays too
        (
            "x" * 150 + " " + LINK + " Obrigado.",
            1,
            "x" * 111 + "... " + LINK + " Obrigado.",
        ),
        # after the link too long for anything before it: the link, then what fits after it
        (
            "Veja " + LINK + " " + "palavra " * 40,
            1,
            LINK + " " + " ".join(["palavra"] * 15) + "...",
        ),
        # no link in the text: the plain cut
        ("palavra " * 40, 1, " ".join(["palavra"] * 19) + "..."),
    ],
)
def test_fit_keeping_link_cuts_before_the_link(text: str, max_segments: int, expected: str) -> None:
    fitted = fit_keeping_link(text, LINK, max_segments)
    assert fitted == expected
    assert count_segments(fitted).segments <= max_segments


def test_the_issue_case_a_two_segment_message_keeps_its_link() -> None:
    # The demo SMS used to end "Acompanhe..." with the link lost.
    text = LONG_GSM + "Acompanhe: " + LINK
    fitted = fit_keeping_link(text, LINK, 2)
    assert fitted.endswith("... " + LINK)
    assert count_segments(fitted).segments == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Olá João, sua OS está pronta", "Ola Joao, sua OS esta pronta"),
        ("Óticas Visão Clara — Produção", "Oticas Visao Clara - Producao"),
        ("“Você” – açúcar… ª º", '"Voce" - acucar... a o'),
        ("é à ü Ç ñ É Ä stay GSM-7", "é à ü Ç ñ É Ä stay GSM-7"),
        ("óculos 👓", "oculos 👓"),  # no plain form: kept, the text stays UCS-2
    ],
)
def test_transliterate_keeps_gsm7_letters_and_plainifies_the_rest(text: str, expected: str) -> None:
    assert transliterate(text) == expected


def test_transliterated_portuguese_is_gsm7_and_takes_one_segment() -> None:
    text = "Olá Maria! Sua OS SP01-000123 está em produção na Óticas Visão Clara. Previsão: 03/12."
    assert count_segments(text).encoding == "UCS-2"
    assert count_segments(text).segments == 2
    plain = transliterate(text)
    assert (count_segments(plain).encoding, count_segments(plain).segments) == ("GSM-7", 1)


def test_compose_renders_transliterates_and_keeps_the_link() -> None:
    values = replace(VALUES, stage_name="Produção das lentes", tracking_link=LINK)
    template = "Olá {nome}! OS {numero_os} em {etapa} na {filial}. " * 3 + "Acompanhe: {link}"
    ucs2 = compose_sms(template, values, 2)
    gsm7 = compose_sms(template, values, 2, gsm7_only=True)
    assert ucs2.endswith("... " + LINK)
    assert gsm7.endswith(LINK)
    assert count_segments(gsm7).encoding == "GSM-7"
    assert len(gsm7) > len(ucs2)  # GSM-7 carries more of the text in the same segments


TOKENS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
    min_size=11,
    max_size=11,
)
BASES = st.sampled_from(
    ["http://127.0.0.1:8003", "https://acompanhe.oticasvisaoclara.com.br", "https://e.tap/x"]
)


@given(SMS_TEXT, SMS_TEXT, BASES, TOKENS, st.integers(min_value=1, max_value=4), st.booleans())
def test_the_link_always_survives_whole(
    before: str, after: str, base: str, token: str, max_segments: int, gsm7_only: bool
) -> None:
    link = tracking_url(base, token)
    assert link is not None
    text = before + " " + link + after
    if gsm7_only:
        text = transliterate(text)
    fitted = fit_keeping_link(text, link, max_segments)

    assert link in fitted
    assert count_segments(fitted).segments <= max_segments
    if count_segments(text).segments <= max_segments:
        assert fitted == text
