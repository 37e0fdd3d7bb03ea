"""Mobile numbers typed the way people type them end up in E.164."""

from __future__ import annotations

import pytest

from intake.domain.phones import InvalidPhone, normalize_mobile


@pytest.mark.parametrize(
    "typed",
    [
        "(11) 98765-4321",
        "11 98765 4321",
        "11987654321",
        "+55 11 98765-4321",
        "+5511987654321",
        "055 11 98765-4321",
    ],
)
def test_brazilian_mobiles_are_stored_in_e164(typed: str) -> None:
    assert normalize_mobile(typed) == "+5511987654321"


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("123", "not a valid phone number"),
        ("(11) 3253-1000", "not a mobile number"),
        ("abc", "not a phone number"),
    ],
)
def test_what_cannot_receive_an_sms_is_refused_with_the_reason(typed: str, why: str) -> None:
    with pytest.raises(InvalidPhone, match=why):
        normalize_mobile(typed)
