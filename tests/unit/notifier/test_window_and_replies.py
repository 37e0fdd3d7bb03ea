"""Sending windows (pure) and customers' replies and phone numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from notifier.domain.replies import classify_reply
from notifier.domain.window import NoSendingDay, SendingWindow, next_opening
from shared.phones import InvalidPhone, normalize_phone

SP = SendingWindow(timezone="America/Sao_Paulo")
MANAUS = SendingWindow(timezone="America/Manaus")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_inside_the_window_sends_now() -> None:
    # Tuesday 24/11/2026 12:00 in São Paulo (15:00 UTC)
    assert next_opening(utc(2026, 11, 24, 15, 0), SP, frozenset()) is None


def test_before_opening_waits_until_eight_the_same_day() -> None:
    # Tuesday 05:00 local -> 08:00 local = 11:00 UTC
    assert next_opening(utc(2026, 11, 24, 8, 0), SP, frozenset()) == utc(2026, 11, 24, 11, 0)


def test_end_of_window_is_exclusive_and_moves_to_next_day() -> None:
    # Tuesday 20:00 local exactly -> Wednesday 08:00
    assert next_opening(utc(2026, 11, 24, 23, 0), SP, frozenset()) == utc(2026, 11, 25, 11, 0)


def test_saturday_evening_waits_for_monday() -> None:
    # Saturday 28/11 21:00 local; Sunday is not a sending day
    assert next_opening(utc(2026, 11, 29, 0, 0), SP, frozenset()) == utc(2026, 11, 30, 11, 0)


def test_holidays_are_skipped() -> None:
    # Thursday 19/11 21:00 local; Friday 20/11 is Consciência Negra
    closed = frozenset({date(2026, 11, 20)})
    assert next_opening(utc(2026, 11, 20, 0, 0), SP, closed) == utc(2026, 11, 21, 11, 0)


def test_window_is_in_the_branch_time_zone() -> None:
    # 11:30 UTC is 08:30 in São Paulo (open) but 07:30 in Manaus (opens 12:00 UTC)
    now = utc(2026, 11, 24, 11, 30)
    assert next_opening(now, SP, frozenset()) is None
    assert next_opening(now, MANAUS, frozenset()) == utc(2026, 11, 24, 12, 0)


def test_custom_window_and_weekdays() -> None:
    window = SendingWindow("America/Sao_Paulo", time(9, 30), time(12, 0), frozenset({6}))
    # Tuesday -> next Sunday 09:30 local
    assert next_opening(utc(2026, 11, 24, 15, 0), window, frozenset()) == utc(2026, 11, 29, 12, 30)


def test_a_window_that_never_opens_is_an_error() -> None:
    with pytest.raises(NoSendingDay):
        next_opening(utc(2026, 11, 24), SendingWindow("UTC", weekdays=frozenset()), frozenset())
    with pytest.raises(NoSendingDay):
        next_opening(utc(2026, 11, 24), SendingWindow("UTC", time(20), time(8)), frozenset())


@pytest.mark.parametrize(
    "text",
    [
        "PARE",
        "pare",
        " Pare! ",
        "SAIR",
        "sáir.",
        "STOP",
        "stop!!",
        "CANCELAR",
        "Cancelar?",
        "¡PARE!",
    ],
)
def test_opt_out_keywords(text: str) -> None:
    assert classify_reply(text) == "opt_out"


@pytest.mark.parametrize("text", ["VOLTAR", "voltar!", " Start ", "vóltar"])
def test_opt_in_keywords(text: str) -> None:
    assert classify_reply(text) == "opt_in"


@pytest.mark.parametrize("text", ["", "Obrigado!", "pare de mandar", "PARECE", "não pare", "PARAR"])
def test_other_replies_are_no_command(text: str) -> None:
    assert classify_reply(text) is None


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+5511987654321", "+5511987654321"),
        ("+55 (11) 98765-4321", "+5511987654321"),
        ("5511987654321", "+5511987654321"),
        ("005511987654321", "+5511987654321"),
        # typed as people in Brazil type them: the area code is no country code (issue 15, 11)
        ("(11) 98765-4321", "+5511987654321"),
        ("11 98765 4321", "+5511987654321"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_phone_normalization(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw", ["", "abc", "+0511987654321", "+55", "(11) 9876", "+5511987654321999"]
)
def test_invalid_phones_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(InvalidPhone, match=r"E\.164"):
        normalize_phone(raw)


def test_a_refused_number_is_repeated_whole_when_short_and_cut_when_long() -> None:
    with pytest.raises(InvalidPhone, match=r"^'\(11\) 9876' não é"):
        normalize_phone("(11) 9876")
    with pytest.raises(InvalidPhone) as refused:
        normalize_phone("9" * 5000)
    assert str(refused.value).startswith(f"'{'9' * 30}… (5000 caracteres)' não é")
    assert len(str(refused.value)) < 200
