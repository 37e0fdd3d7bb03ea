"""Customers' replies (pure).

Rules:
- A reply opts the number out when, once accents, case, surrounding whitespace and punctuation
  are dropped, it is exactly one of ``PARE``, ``SAIR``, ``STOP``, ``CANCELAR``; it opts back in
  when it is ``VOLTAR`` or ``START``. Anything else ("pare de mandar!!" included: more than the
  keyword) is no command, so a conversation never opts a number out by accident.
- The number a reply comes from is read by the use case with ``shared.phones``
  (``phonenumbers``), in Brazil when it carries no country code: ``(11) 98765-4321`` and
  Zenvia's ``5511987654321`` are ``+5511987654321``.
"""

from __future__ import annotations

import string
import unicodedata
from typing import Literal

ReplyCommand = Literal["opt_out", "opt_in"]

OPT_OUT_KEYWORDS = frozenset({"PARE", "SAIR", "STOP", "CANCELAR"})
OPT_IN_KEYWORDS = frozenset({"VOLTAR", "START"})


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
