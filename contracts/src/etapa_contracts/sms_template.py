"""SMS templates for stage messages: validate, render, count segments, trim to fit.

Rules:

- A template is text with named placeholders in braces, ``{nome}``; ``{{`` and ``}}`` are
  literal braces. Only the names in ``PLACEHOLDERS`` are allowed, written bare: no format spec
  (``{nome:>10}``), no conversion (``{nome!r}``), no attribute or index (``{nome.upper}``), no
  positional or empty field (``{0}``, ``{}``). Every brace must be balanced or doubled, and the
  template must not be blank.
- ``find_template_errors`` lists every problem, one Portuguese message each (staff read them
  when saving a flow); ``render_template`` refuses an invalid template with ``TemplateError``,
  so a customer never receives a raw ``{placeholder}``.
- Rendering uses the customer's first name, capitalised when it was typed all upper or all
  lower case; dates as ``dd/mm/aaaa``; a missing date as ``a confirmar``; a missing phone or
  link as nothing, taking the space around it along so no double space is left behind. Values
  are inserted verbatim, never parsed again as a template.
- Accents are kept. Text that fits the GSM 03.38 default alphabet (basic table plus extension
  table) is GSM-7, where an extension character (``{ } [ ] ~ \\ | ^ €`` and form feed) costs
  two septets; anything else makes the whole text UCS-2, counted in UTF-16 code units (an
  emoji costs two). One segment holds 160 septets / 70 units; a multipart message 153 / 67 per
  segment, and an escape pair or a surrogate pair is never split across segments.
- ``fit_to_segments`` cuts at a word boundary where possible and appends ``...`` (GSM-7, unlike
  ``…``) so that the result fits in its own encoding.
- ``fit_keeping_link`` does the same but never cuts the customer's link: the text before the
  link is shortened (at a word, ``... `` before the link); only when the link and what follows
  it alone are too long is the text after the link cut, and then everything before it dropped.
  The link survives whole whenever it fits in the segments at all.
- ``transliterate`` (a per-chain option of the notifier) replaces letters outside GSM-7 by
  their base letter (``ã`` → ``a``, ``ç`` → ``c``, ``Ó`` → ``O``) and typographic punctuation
  by plain (``“`` → ``"``, ``–`` → ``-``, ``…`` → ``...``), keeping GSM-7's own accented letters
  (``é``, ``à``, ``Ç``, ``ü``…), so Portuguese text is GSM-7: 160 characters a segment, not 70.
  Characters with no plain form (an emoji) are kept, and the message stays UCS-2.
- ``compose_sms`` is what the notifier sends: render, transliterate when asked, fit keeping the
  link. ``tracking_url`` builds the link: ``<base>/a/<token>``.

Standard library only: no I/O, no clock.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "nome",  # customer's first name
        "numero_os",  # order number, e.g. SP01-000123
        "etapa",  # stage name
        "data_prometida",  # promised date, dd/mm/aaaa
        "previsao",  # forecast (projected completion) date, dd/mm/aaaa
        "filial",  # branch name
        "telefone_filial",  # branch phone
        "link",  # URL to follow the order
    }
)

MISSING_DATE = "a confirmar"
MISSING_NAME = "cliente"
ELLIPSIS = "..."

Encoding = Literal["GSM-7", "UCS-2"]


class TemplateError(ValueError):
    """An invalid template; ``errors`` holds one Portuguese message per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors: list[str] = list(errors)


@dataclass(frozen=True, slots=True)
class TemplateValues:
    customer_name: str
    order_number: str
    stage_name: str
    promised_date: date | None
    forecast_date: date | None
    branch_name: str
    branch_phone: str | None
    tracking_link: str | None


@dataclass(frozen=True, slots=True)
class SegmentCount:
    encoding: Encoding
    characters: int
    segments: int


# --- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    name: str


def find_template_errors(template: str) -> list[str]:
    return _parse(template)[1]


def _parse(template: str) -> tuple[list[str | _Field], list[str]]:
    if not template.strip():
        return [], ["o modelo está vazio"]
    pieces: list[str | _Field] = []
    errors: list[str] = []
    literal: list[str] = []
    i, end = 0, len(template)
    while i < end:
        char = template[i]
        if char in "{}" and template.startswith(char * 2, i):
            literal.append(char)
            i += 2
        elif char == "}":
            errors.append(_unbalanced("}", i))
            i += 1
        elif char == "{":
            close = _field_end(template, i)
            if close is None:
                errors.append(_unbalanced("{", i))
                i += 1
                continue
            field = template[i + 1 : close]
            field_errors = _field_errors(field)
            errors.extend(field_errors)
            if not field_errors:
                pieces.append("".join(literal))
                literal.clear()
                pieces.append(_Field(field))
            i = close + 1
        else:
            literal.append(char)
            i += 1
    pieces.append("".join(literal))
    return pieces, list(dict.fromkeys(errors))


def _unbalanced(brace: str, index: int) -> str:
    other = "}" if brace == "{" else "{"
    return (
        f"'{brace}' sem '{other}' correspondente na posição {index + 1}; "
        f"para mostrar uma chave escreva {brace}{brace}"
    )


def _field_end(template: str, start: int) -> int | None:
    """Index of the ``}`` closing the field opened at ``start``, or None if it is unbalanced.

    A field normally ends at the first ``}``; a ``{`` before it means the first brace was left
    open, unless the field already has a format spec or conversion (``{nome:{w}}``), where
    Python nests fields, so that it is reported as one formatting problem, not three.
    """
    depth = 0
    for index in range(start, len(template)):
        char = template[index]
        if char == "{":
            if depth == 1 and not any(mark in template[start:index] for mark in ":!"):
                return None
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return None


def _field_errors(field: str) -> list[str]:
    raw = "{" + field + "}"
    cut = min((field.index(mark) for mark in "!:" if mark in field), default=len(field))
    name, formatting = field[:cut], field[cut:]
    if not name:
        return [f"placeholder vazio {raw}; escreva um nome entre chaves, como {{nome}}"]
    if name.isdigit():
        return [f"placeholder posicional {raw} não permitido; use um nome, como {{nome}}"]
    errors: list[str] = []
    base = name.split(".")[0].split("[")[0]
    if base != name:
        errors.append(
            f"acesso a atributo ou índice não permitido em {raw}; escreva apenas {{{base}}}"
        )
    if formatting:
        errors.append(f"formatação não permitida em {raw}; escreva apenas {{{base}}}")
    if base not in PLACEHOLDERS:
        allowed = ", ".join("{" + known + "}" for known in sorted(PLACEHOLDERS))
        errors.append(f"placeholder desconhecido {{{base}}}; use um de: {allowed}")
    return errors


# --- rendering -----------------------------------------------------------------------------


def render_template(template: str, values: TemplateValues) -> str:
    pieces, errors = _parse(template)
    if errors:
        raise TemplateError(errors)
    substitutions = _substitutions(values)
    rendered = ""
    gap = False  # a placeholder rendered empty since the last text
    for piece in pieces:
        text = substitutions[piece.name] if isinstance(piece, _Field) else piece
        if not text:
            gap = gap or isinstance(piece, _Field)
            continue
        rendered = _close_gap(rendered, text) if gap else rendered + text
        gap = False
    return _close_gap(rendered, "") if gap else rendered


def _close_gap(before: str, after: str) -> str:
    """Join the text around an empty placeholder, leaving at most one space between."""
    left, right = before.rstrip(" \t"), after.lstrip(" \t")
    at_edge = not left or left.endswith("\n") or not right or right[0] in "\n.,;:!?)"
    spaced = left != before or right != after
    return left + ("" if at_edge or not spaced else " ") + right


def _substitutions(values: TemplateValues) -> dict[str, str]:
    return {
        "nome": first_name(values.customer_name),
        "numero_os": values.order_number.strip(),
        "etapa": values.stage_name.strip(),
        "data_prometida": _format_date(values.promised_date),
        "previsao": _format_date(values.forecast_date),
        "filial": values.branch_name.strip(),
        "telefone_filial": (values.branch_phone or "").strip(),
        "link": (values.tracking_link or "").strip(),
    }


def first_name(full_name: str) -> str:
    """'MARIA DA SILVA' -> 'Maria'; a name typed in mixed case is kept as typed."""
    words = full_name.split()
    if not words:
        return MISSING_NAME
    name = words[0]
    if name.isupper() or name.islower():
        return "-".join(part.capitalize() for part in name.split("-"))
    return name


def _format_date(day: date | None) -> str:
    if day is None:
        return MISSING_DATE
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


# --- segments ------------------------------------------------------------------------------

# GSM 03.38 default alphabet in code order, 0x00-0x7F; 0x1B is the escape to the extension table.
_GSM7_BASIC_IN_CODE_ORDER = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
_GSM7_BASIC = frozenset(_GSM7_BASIC_IN_CODE_ORDER) - {"\x1b"}
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# encoding -> (capacity of a single-part message, capacity of each part of a multipart one)
_CAPACITY: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


def count_segments(text: str) -> SegmentCount:
    encoding = _encoding(text)
    weights = [_weight(char, encoding) for char in text]
    characters = sum(weights)
    single, per_part = _CAPACITY[encoding]
    if characters == 0:
        segments = 0
    elif characters <= single:
        segments = 1
    else:
        segments, used = 1, 0
        for weight in weights:  # an escape or surrogate pair moves whole to the next part
            if used + weight > per_part:
                segments, used = segments + 1, 0
            used += weight
    return SegmentCount(encoding=encoding, characters=characters, segments=segments)


def _encoding(text: str) -> Encoding:
    gsm7 = all(char in _GSM7_BASIC or char in _GSM7_EXTENSION for char in text)
    return "GSM-7" if gsm7 else "UCS-2"


def _weight(char: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return 2 if char in _GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def fit_to_segments(text: str, max_segments: int) -> str:
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, got {max_segments}")

    def fits(candidate: str) -> bool:
        return count_segments(candidate).segments <= max_segments

    if fits(text):
        return text
    # Dropping characters never adds segments (nor turns GSM-7 into UCS-2), so the longest
    # prefix that fits with the ellipsis is found by bisection; "..." alone always fits.
    low, high = 0, len(text) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle] + ELLIPSIS):
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    if not text[low].isspace():
        boundary = max((i for i, char in enumerate(cut) if char.isspace()), default=0)
        if _strip_end(cut[:boundary]):
            cut = cut[:boundary]
    return _strip_end(cut) + ELLIPSIS


def _strip_end(text: str) -> str:
    """Drop trailing spaces and punctuation that would look odd before "..."."""
    return text.rstrip(string.whitespace + ".,;:-–")


# --- the customer's link, whole --------------------------------------------------------------

LINK_PATH = "/a/"


def tracking_url(base_url: str | None, token: str | None) -> str | None:
    """The customer's link: ``<base>/a/<token>``; None without a base URL or a token."""
    if not base_url or not base_url.strip() or not token:
        return None
    return base_url.strip().rstrip("/") + LINK_PATH + token


def fit_keeping_link(text: str, link: str | None, max_segments: int) -> str:
    """``text`` cut to ``max_segments`` without ever cutting ``link`` (its last occurrence)."""
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, got {max_segments}")

    def fits(candidate: str) -> bool:
        return count_segments(candidate).segments <= max_segments

    at = text.rfind(link) if link else -1
    if fits(text) or link is None or at < 0 or not fits(link):
        return fit_to_segments(text, max_segments)
    head, tail = text[:at], text[at:]
    joint = ELLIPSIS + " "
    if fits(joint + tail):
        cut = _longest_prefix(head, lambda m: fits(head[:m] + joint + tail))
        shortened = _at_word(head, cut)
        return shortened + joint + tail if shortened else tail
    # The link and what follows it are too long with any text before: keep the link, cut after.
    after = tail[len(link) :]
    cut = _longest_prefix(after, lambda m: fits(link + after[:m] + ELLIPSIS))
    shortened = _at_word(after, cut, keep_leading_space=True)
    return link + shortened + ELLIPSIS if shortened.strip() else link


def _longest_prefix(text: str, fits_with: Callable[[int], bool]) -> int:
    """The largest m with ``fits_with(m)``, given that it holds for 0 and is monotone."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits_with(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _at_word(text: str, cut: int, *, keep_leading_space: bool = False) -> str:
    """``text[:cut]`` moved back to a word boundary when it would split a word."""
    kept = text[:cut]
    if cut < len(text) and not text[cut].isspace():
        boundary = max((i for i, char in enumerate(kept) if char.isspace()), default=0)
        if _strip_end(kept[:boundary]).strip():
            kept = kept[:boundary]
    stripped = _strip_end(kept)
    return stripped if keep_leading_space else stripped.lstrip()


# --- GSM-7 only --------------------------------------------------------------------------------

_PLAIN_PUNCTUATION = str.maketrans(
    {
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u2013": "-",  # –
        "\u2014": "-",  # —
        "\u2026": "...",  # …
        "\u00a0": " ",  # no-break space
        "\u00aa": "a",  # ª
        "\u00ba": "o",  # º
        "\u2022": "-",  # •
    }
)


def transliterate(text: str) -> str:
    """``text`` with every letter outside GSM-7 replaced by its plain form where it has one."""
    plain = []
    for char in text.translate(_PLAIN_PUNCTUATION):
        if char in _GSM7_BASIC or char in _GSM7_EXTENSION:
            plain.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
        )
        gsm7 = base and all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in base)
        plain.append(base if gsm7 else char)
    return "".join(plain)


def compose_sms(
    template: str, values: TemplateValues, max_segments: int, *, gsm7_only: bool = False
) -> str:
    """The SMS as sent: rendered, transliterated when ``gsm7_only``, fitted keeping the link."""
    body = render_template(template, values)
    if gsm7_only:
        body = transliterate(body)
    link = (values.tracking_link or "").strip() or None
    return fit_keeping_link(body, link, max_segments)
