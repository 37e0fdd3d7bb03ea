"""Phone numbers read the way people and providers write them, with ``phonenumbers``.

One reading for every service: ``(11) 98765-4321``, ``+55 11 98765 4321``, ``5511987654321``
(Zenvia's form: digits with the country code) and ``0055 11 …`` all become ``+5511987654321``.
A number without a country code is read in ``default_region`` (Brazil), never as if its area
code were a country code (``(11) 98765-4321`` is not ``+11987654321``).
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType


class InvalidPhone(ValueError):
    """The text is not a phone number we can use; the message says why."""


_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_EXAMPLE = "como (11) 98765-4321 ou +5511987654321"
_SHOWN = 30
"""The most of a refused number a message repeats (a caller may send thousands of characters)."""


def _parse(raw: str, default_region: str) -> PhoneNumber:
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        return phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None


def normalize_mobile(raw: str, default_region: str = "BR") -> str:
    """A mobile number that can receive SMS, in E.164: ``(11) 98765-4321`` → ``+5511987654321``."""
    number = _parse(raw, default_region)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number (check the area code and digit count)")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhone("not a mobile number; SMS needs a mobile phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(raw: str, default_region: str = "BR") -> str:
    """Any valid number in E.164 (a reply's sender, a number staff type); else InvalidPhone
    with a reason in Portuguese."""
    try:
        number = _parse(raw, default_region)
    except InvalidPhone:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        shown = raw if len(raw) <= _SHOWN else f"{raw[:_SHOWN]}… ({len(raw)} caracteres)"
        raise InvalidPhone(f"{shown!r} não é um número de telefone válido ({_EXAMPLE}; E.164)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
