"""An action's outcome is read from the order's timeline at the action's requested_at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.domain.action_outcome import Outcome, find_outcome, quoted

AT = datetime(2026, 12, 2, 13, 0, 5, 123456, tzinfo=UTC)


def entry(
    kind: str, summary: str, at: datetime = AT, actor: str = "Alice", **detail: Any
) -> dict[str, Any]:
    return {
        "occurred_at": at.isoformat(),
        "actor": actor,
        "kind": kind,
        "summary": summary,
        "detail": detail,
    }


ENTERED = entry(
    "stage_entered", "Entrou na etapa “Montagem”. 1 dia útil a partir de …", stage="assembly"
)
REFUSED = entry(
    "action_refused",
    "Ação “avançar” recusada: A OS está cancelada.",
    action="advance",
    reason="A OS está cancelada; não é possível avançar.",
)


@pytest.mark.parametrize(
    ("timeline", "action", "expected"),
    [
        ([ENTERED], "advance", Outcome(True, "Avançada para Montagem")),
        ([ENTERED], "back", Outcome(True, "Voltou para Montagem")),
        (
            [REFUSED],
            "advance",
            Outcome(False, "Recusada: A OS está cancelada; não é possível avançar."),
        ),
        ([entry("paused", "OS pausada: cliente viajou")], "pause", Outcome(True, "Pausada")),
        (
            [entry("delivered", "OS entregue ao cliente")],
            "deliver",
            Outcome(True, "Entregue ao cliente"),
        ),
        (
            [entry("assigned", "Responsável: Carlos")],
            "assign",
            Outcome(True, "Responsável: Carlos"),
        ),
        (
            [entry("reopened", "OS reaberta como refação: lente riscada → OS SP01-000001-R1")],
            "reopen",
            Outcome(True, "OS reaberta como refação: lente riscada → OS SP01-000001-R1"),
        ),
    ],
)
def test_the_entry_at_the_requested_instant_says_what_happened(
    timeline: list[dict[str, Any]], action: str, expected: Outcome
) -> None:
    assert find_outcome(timeline, action, AT, "Alice") == expected


def test_an_action_still_on_its_way_has_no_outcome_yet() -> None:
    earlier = entry("stage_entered", "Entrou na etapa “Receita”.", at=AT - timedelta(minutes=5))
    assert find_outcome([earlier], "advance", AT, "Alice") is None


def test_entries_of_other_causes_at_the_same_instant_are_not_the_outcome() -> None:
    risk = entry("risk_changed", "Em risco: …", actor="sistema")
    lab = entry("lab_status", "Status do laboratório: em produção", actor="laboratório LABX")
    assert find_outcome([risk, lab], "advance", AT, "Alice") is None


def test_an_effect_moved_later_by_the_order_is_found_by_its_kind_and_person() -> None:
    moved = entry("stage_entered", "Entrou na etapa “Montagem”.", at=AT + timedelta(seconds=2))
    someone_else = entry("paused", "OS pausada: x", at=AT + timedelta(seconds=1), actor="Bruno")
    assert find_outcome([someone_else, moved], "advance", AT, "Alice") == Outcome(
        True, "Avançada para Montagem"
    )
    assert find_outcome([someone_else], "pause", AT, "Alice") is None


def test_a_later_refusal_of_another_action_is_not_this_ones() -> None:
    other = entry(
        "action_refused", "…", at=AT + timedelta(seconds=1), action="resume", reason="já andando"
    )
    assert find_outcome([other], "advance", AT, "Alice") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Entrou na etapa “Montagem”. 1 dia", "Montagem"), ("sem aspas", None), ("“aberta", None)],
)
def test_stage_names_are_read_between_curly_quotes(text: str, expected: str | None) -> None:
    assert quoted(text) == expected
