"""The delivery decision, table-tested: (message, now, window, consent, order) → what to do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from notifier.domain.delivery import (
    Consent,
    Decision,
    Fail,
    Hold,
    OrderState,
    Send,
    Suppress,
    decide,
    overtaken,
)
from notifier.domain.window import SendingWindow

TUESDAY_NOON_SP = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TUESDAY_NIGHT_SP = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 22:00 in São Paulo
SP = SendingWindow(timezone="America/Sao_Paulo")
OK = Consent(contact_of_this_chain=True, sms_consent=True)
ENTRY_2 = OrderState(entry_sequence=2, latest_entry_sequence=2)

CASES: list[tuple[str, dict[str, object], Decision]] = [
    ("in the window", {}, Send()),
    ("any hour when hours are not respected", {"now": TUESDAY_NIGHT_SP, "window": None}, Send()),
    (
        "outside the window: held until the next opening",
        {"now": TUESDAY_NIGHT_SP},
        Hold(
            datetime(2026, 11, 25, 11, 0, tzinfo=UTC),
            "fora do horário de envio da filial; envio em 25/11/2026 às 08:00",
        ),
    ),
    (
        "a closed day is skipped",
        {"now": TUESDAY_NIGHT_SP, "closed_days": frozenset({date(2026, 11, 25)})},
        Hold(
            datetime(2026, 11, 26, 11, 0, tzinfo=UTC),
            "fora do horário de envio da filial; envio em 26/11/2026 às 08:00",
        ),
    ),
    (
        "a window that never opens fails",
        {"window": SendingWindow("America/Sao_Paulo", time(20), time(8))},
        Fail("janela de envio vazia: 20:00–08:00, dias [0, 1, 2, 3, 4, 5]"),
    ),
    (
        "contact of another chain fails, before anything else",
        {"consent": Consent(contact_of_this_chain=False, sms_consent=False)},
        Fail("o contato da OS pertence a outra rede"),
    ),
    (
        "no consent",
        {"consent": Consent(contact_of_this_chain=True, sms_consent=False)},
        Suppress("cliente sem consentimento para SMS"),
    ),
    (
        "the customer replied PARE",
        {"consent": Consent(True, True, opted_out_by="reply")},
        Suppress("o número pediu para não receber SMS"),
    ),
    (
        "this chain's staff opted the number out",
        {"consent": Consent(True, True, opted_out_by="staff")},
        Suppress("o número foi descadastrado pela equipe"),
    ),
    (
        "opt-out wins over the window",
        {"consent": Consent(True, True, opted_out_by="reply"), "now": TUESDAY_NIGHT_SP},
        Suppress("o número pediu para não receber SMS"),
    ),
    (
        "held, and the order closed meanwhile",
        {"was_held": True, "order": OrderState(2, 2, closed=True)},
        Suppress("a OS foi encerrada antes do horário de envio"),
    ),
    (
        "held, and the order moved on meanwhile",
        {"was_held": True, "order": OrderState(2, 3)},
        Suppress("a OS já passou desta etapa antes do horário de envio"),
    ),
    (
        "a later stage's SMS went out first",
        {"order": OrderState(2, 3, later_stage_sent=True)},
        Suppress("o cliente já recebeu o SMS de uma etapa seguinte desta OS"),
    ),
    (
        "held, and a later stage's SMS went out meanwhile",
        {"was_held": True, "order": OrderState(2, 3, later_stage_sent=True)},
        Suppress("o cliente já recebeu o SMS de uma etapa seguinte desta OS"),
    ),
    (
        "an opt-out is named before older news",
        {
            "consent": Consent(True, True, opted_out_by="reply"),
            "order": OrderState(2, 3, later_stage_sent=True),
        },
        Suppress("o número pediu para não receber SMS"),
    ),
    ("held, and still true at the opening", {"was_held": True}, Send()),
    ("not held: a later stage does not stop it", {"order": OrderState(2, 5)}, Send()),
    ("not held: a closed order does not stop it", {"order": OrderState(2, 2, True)}, Send()),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_delivery_decision(case: str, given: dict[str, object], expected: Decision) -> None:
    arguments: dict[str, object] = {
        "now": TUESDAY_NOON_SP,
        "was_held": False,
        "consent": OK,
        "order": ENTRY_2,
        "window": SP,
        "closed_days": frozenset(),
    }
    arguments.update(given)
    assert decide(**arguments) == expected  # type: ignore[arg-type]


def test_an_unknown_time_zone_is_an_error_for_the_dispatcher_to_survive() -> None:
    with pytest.raises(KeyError):
        decide(
            now=TUESDAY_NIGHT_SP,
            was_held=False,
            consent=OK,
            order=ENTRY_2,
            window=SendingWindow(timezone="Mars/Olympus_Mons"),
        )


def test_staff_read_beforehand_whether_a_held_message_will_go_out() -> None:
    """``overtaken`` is what ``decide`` suppresses a held message for, in the same words."""
    assert overtaken(OrderState(entry_sequence=2, latest_entry_sequence=2)) is None
    assert overtaken(OrderState(entry_sequence=2)) is None  # nothing known since
    assert overtaken(OrderState(entry_sequence=2, latest_entry_sequence=3)) == (
        "a OS já passou desta etapa antes do horário de envio"
    )
    assert overtaken(OrderState(entry_sequence=2, latest_entry_sequence=2, closed=True)) == (
        "a OS foi encerrada antes do horário de envio"
    )
