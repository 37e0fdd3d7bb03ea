"""The SMS list as staff read it: statuses in Portuguese, opt-out refusals in Portuguese.

Rules: a message's status reads as the shop says it (held = aguardando horário, …); the
notifier's own reasons are already Portuguese and pass as they are. Phones arrive masked from
the notifier and are shown so; a number typed for an opt-out may be in any format (the
notifier normalises it).
"""

from __future__ import annotations

import re

STATUS_LABELS = {
    "pending": "pendente",
    "held": "aguardando horário",
    "sending": "enviando",
    "sent": "enviada",
    "delivered": "entregue",
    "failed": "falhou",
    "suppressed": "suprimida",
}
SOURCE_LABELS = {"reply": "resposta do cliente", "staff": "pela loja"}


def opt_out_error(status: int, message: str, *, removing: bool) -> str:
    """The notifier's refusal of an opt-out form, for the phone field."""
    if status == 400:
        return "Número inválido: informe DDD e número, como (11) 98765-4321."
    if status == 404 and removing:
        return "Este número não está descadastrado (ou não é de um cliente das suas filiais)."
    if status == 404:
        return "Este número não é de um cliente das suas filiais."
    return message


def phone_for_api(typed: str) -> str:
    """A number as the counter types it, in the international form the notifier expects:
    ``(11) 98765-4321`` and ``011 98765-4321`` are Brazilian (``+5511987654321``); a number
    with ``+`` or the country code is left as typed; anything else goes as typed, to be refused."""
    digits = re.sub(r"\D", "", typed)
    if typed.strip().startswith("+") or typed.strip().startswith("00"):
        return typed.strip()
    if digits.startswith("0") and len(digits) in (11, 12):
        digits = digits[1:]
    if len(digits) in (10, 11):
        return f"+55{digits}"
    if digits.startswith("55") and len(digits) in (12, 13):
        return f"+{digits}"
    return typed.strip()


_NOTIFIER_MASK = re.compile(r"^\+55(\d{2})(\d)(\*+)(\d{2})$")


def shop_masked(phone_masked: str | None) -> str:
    """The notifier's ``+55119******21`` as the shop reads masked phones, ``(11) 9****-**21``;
    any other shape is shown as it came."""
    if not phone_masked:
        return "—"
    found = _NOTIFIER_MASK.match(phone_masked)
    if not found:
        return phone_masked
    area, first, stars, last = found.groups()
    hidden = first + stars + last
    return f"({area}) {hidden[:-4]}-{hidden[-4:]}"
