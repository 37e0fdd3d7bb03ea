"""Customers' replies and phone numbers (pure).

Rules:
- A reply opts the number out when, once accents, case, surrounding whitespace and punctuation
  are dropped, it is exactly one of ``PARE``, ``SAIR``, ``STOP``, ``CANCELAR``; it opts back in
  when it is ``VOLTAR`` or ``START``. Anything else ("pare de mandar!!" included: more than the
  keyword) is no command, so a conversation never opts a number out by accident.
- Phone numbers are E.164 (``+`` and 8 to 15 digits, no leading zero). Spaces, dots, dashes
  and parentheses are dropped first; digits without ``+`` (as Zenvia sends them, 5511…) are
  read as already carrying the country code.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Literal

ReplyCommand = Literal["opt_out", "opt_in"]

OPT_OUT_KEYWORDS = frozenset({"PARE", "SAIR", "STOP", "CANCELAR"})
OPT_IN_KEYWORDS = frozenset({"VOLTAR", "START"})

_E164 = re.compile(r"\+[1-9]\d{7,14}")
_SEPARATORS = re.compile(r"[\s().\-]")


class InvalidPhone(ValueError):
    """Not a phone number in international (E.164) form."""


def reply_keyword(text: str) -> str:
    """The reply reduced to what is compared with the keywords: 'Páre!! ' -> 'PARE'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.strip(string.whitespace + string.punctuation + "¡¿…").upper()


def classify_reply(text: str) -> ReplyCommand | None:
    keyword = reply_keyword(text)
    if keyword in OPT_OUT_KEYWORDS:
        return "opt_out"
    if keyword in OPT_IN_KEYWORDS:
        return "opt_in"
    return None


def normalize_phone(raw: str) -> str:
    """``'+55 (11) 98765-4321'`` or ``'5511987654321'`` -> ``'+5511987654321'``."""
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.isdigit():
        compact = "+" + compact
    if not _E164.fullmatch(compact):
        raise InvalidPhone(
            f"{raw!r} não é um telefone no formato internacional (E.164), como +5511987654321"
        )
    return compact
