"""The board drawn from workflow's answer: columns in the flow's order, cards and counters.

What workflow answers (the order of cards, the counts, the counters) is tested against
PostgreSQL in ``tests/integration/test_order_board.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from console.domain.board import build_board

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
STAGES = [{"key": "a", "name": "Receita"}, {"key": "b", "name": "Montagem"}]
ZONES = {"sp": "America/Sao_Paulo"}


def order(number: str, **fields: Any) -> dict[str, Any]:
    return {
        "order_id": f"id-{number}",
        "number": number,
        "branch_id": "sp",
        "customer_name": "Maria da Silva",
        "stage_key": "a",
        "status": "in_progress",
        "risk_level": "on_track",
        "stage_due_at": "2026-12-03T21:00:00Z",
        "promised_date": "2026-12-09",
        "updated_at": "2026-12-01T10:00:00Z",
        **fields,
    }


def answer(*columns: tuple[str, list[dict[str, Any]], int], **counters: int) -> dict[str, Any]:
    """Workflow's board: (stage key, the orders shown, how many the stage holds) per column."""
    return {
        "columns": [
            {"stage_key": key, "stage_name": f"Etapa {key}", "count": count, "orders": shown}
            for key, shown, count in columns
        ],
        "counters": {"open": 0, "at_risk": 0, "overdue": 0, "deliver_today": 0, **counters},
        "assignees": [],
    }


def test_every_stage_is_a_column_in_the_flows_order_even_when_empty() -> None:
    board = build_board(STAGES, answer(("b", [order("1", stage_key="b")], 1)), ZONES, NOW)
    assert [c.name for c in board.columns] == ["Receita", "Montagem"]
    assert [len(c.cards) for c in board.columns] == [0, 1]


def test_cards_keep_the_order_workflow_gave_them() -> None:
    shown = [order("3", risk_level="overdue"), order("2", risk_level="at_risk"), order("1")]
    board = build_board(STAGES, answer(("a", shown, 3)), ZONES, NOW)
    assert [c.number for c in board.columns[0].cards] == ["3", "2", "1"]


def test_a_card_shows_the_first_name_and_times_in_the_branch_zone() -> None:
    board = build_board(STAGES, answer(("a", [order("1")], 1)), ZONES, NOW)
    card = board.columns[0].cards[0]
    assert card.customer == "Maria"
    assert card.stage_due == "03/12 18:00"  # 21:00 UTC is 18:00 in São Paulo
    assert card.promised == "09/12"


def test_the_risk_reason_shows_only_when_the_order_is_not_on_track() -> None:
    shown = [
        order("2", risk_level="at_risk", risk_reason="previsão do laboratório 11/12"),
        order("1", risk_reason="Dentro do prazo"),
    ]
    cards = {
        c.number: c
        for c in build_board(STAGES, answer(("a", shown, 2)), ZONES, NOW).columns[0].cards
    }
    assert cards["1"].risk_reason is None
    assert cards["2"].risk_reason == "previsão do laboratório 11/12"
    assert cards["2"].risk_label == "em risco"


def test_the_counters_are_workflows() -> None:
    board = build_board(STAGES, answer(open=4, at_risk=1, overdue=1, deliver_today=2), ZONES, NOW)
    counters = board.counters
    assert (counters.open, counters.at_risk, counters.overdue, counters.deliver_today) == (
        4,
        1,
        1,
        2,
    )


def test_an_order_in_a_stage_the_flow_no_longer_has_gets_its_own_column_last() -> None:
    old = order("1", stage_key="velha")
    board = build_board(STAGES, answer(("velha", [old], 1)), ZONES, NOW)
    assert board.columns[-1].name == "Etapa velha"
    assert board.columns[-1].cards[0].number == "1"


def test_a_card_changed_seconds_ago_is_marked_fresh_for_the_live_highlight() -> None:
    shown = [order("1", updated_at="2026-12-02T14:59:58Z"), order("2")]
    cards = {
        c.number: c
        for c in build_board(STAGES, answer(("a", shown, 2)), ZONES, NOW).columns[0].cards
    }
    assert cards["1"].fresh
    assert not cards["2"].fresh


def test_a_long_column_says_how_many_more_it_holds_than_it_shows() -> None:
    shown = [order(str(i)) for i in range(3)]
    board = build_board(STAGES, answer(("a", shown, 8)), ZONES, NOW)
    column = board.columns[0]
    assert (len(column.cards), column.more) == (3, 5)
