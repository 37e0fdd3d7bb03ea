"""Customer mobile numbers, read the way people type them and stored in E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType


class InvalidPhone(ValueError):
    """The text is not a mobile number we can send an SMS to; the message says why."""


_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_mobile(raw: str, default_region: str = "BR") -> str:
    """``(11) 98765-4321`` or ``+55 11 98765 4321`` → ``+5511987654321``."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number (check the area code and digit count)")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhone("not a mobile number; SMS needs a mobile phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
