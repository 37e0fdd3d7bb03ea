"""Dates, times and phones as people in a Brazilian shop read them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from console.domain.formatting import (
    day_text,
    first_name,
    instants_in_text,
    mask_phone,
    moment_text,
    parse_instant,
)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/Sao_Paulo", "02/12/2026 18:00"),
        ("America/Manaus", "02/12/2026 17:00"),
        (None, "02/12/2026 18:00"),
    ],
)
def test_times_are_shown_in_the_branchs_zone(zone: str | None, expected: str) -> None:
    assert moment_text(datetime(2026, 12, 2, 21, 0, tzinfo=UTC), zone) == expected


def test_dates_are_day_month_year_and_missing_ones_a_dash() -> None:
    assert day_text(date(2026, 12, 9)) == "09/12/2026"
    assert day_text(None) == "—"


def test_api_instants_with_z_are_read_as_utc() -> None:
    assert parse_instant("2026-12-02T21:00:00Z") == datetime(2026, 12, 2, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+5511987654321", "(11) 9****-**21"),
        ("+552133334444", "(21) 3***-**44"),
        ("", "—"),
    ],
)
def test_a_phone_shows_only_its_area_code_first_and_last_two_digits(
    phone: str, masked: str
) -> None:
    assert mask_phone(phone) == masked


def test_a_customer_is_greeted_by_the_first_name_only() -> None:
    assert first_name("Maria da Silva") == "Maria"
    assert first_name("  ") == ""


def test_a_machine_instant_in_a_text_is_read_in_the_branchs_zone_with_the_original_beside() -> None:
    reason = (
        "occurred_at: 2026-12-06T17:07:49.830771+00:00 está no futuro (mais de 10 min após o"
        " recebimento); confira o relógio do laboratório"
    )
    assert instants_in_text(reason, "America/Sao_Paulo") == (
        "occurred_at: 06/12/2026 14:07 (2026-12-06T17:07:49.830771+00:00) está no futuro (mais de"
        " 10 min após o recebimento); confira o relógio do laboratório"
    )
    assert instants_in_text("2026-12-06T17:07Z e 2026-12-06T09:00:00-03:00", "America/Manaus") == (
        "06/12/2026 13:07 (2026-12-06T17:07Z) e 06/12/2026 08:00 (2026-12-06T09:00:00-03:00)"
    )


@pytest.mark.parametrize(
    "text",
    [
        "order_number: nenhuma OS SP01-999998 na rede deste laboratório",
        "sem fuso: 2026-12-06T17:07:49",  # no offset: which zone it meant is unknown
        "data só: 2026-12-06",
        "impossível: 2026-13-45T99:99+00:00",
    ],
)
def test_a_text_without_a_whole_instant_is_left_as_it_is(text: str) -> None:
    assert instants_in_text(text, "America/Sao_Paulo") == text
