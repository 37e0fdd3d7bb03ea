"""The board's columns, card order and counters."""

from __future__ import annotations

from datetime import UTC, date, datetime
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


def test_every_stage_is_a_column_in_the_flows_order_even_when_empty() -> None:
    board = build_board(STAGES, [order("1", stage_key="b")], ZONES, date(2026, 12, 2), NOW)
    assert [c.name for c in board.columns] == ["Receita", "Montagem"]
    assert [len(c.cards) for c in board.columns] == [0, 1]


def test_overdue_cards_come_first_then_at_risk_then_the_stage_due_soonest() -> None:
    orders = [
        order("1", stage_due_at="2026-12-02T21:00:00Z"),
        order("2", risk_level="at_risk", stage_due_at="2026-12-09T21:00:00Z"),
        order("3", risk_level="overdue", stage_due_at="2026-12-10T21:00:00Z"),
        order("4", stage_due_at="2026-12-01T21:00:00Z"),
    ]
    board = build_board(STAGES, orders, ZONES, date(2026, 12, 2), NOW)
    assert [c.number for c in board.columns[0].cards] == ["3", "2", "4", "1"]


def test_a_card_shows_the_first_name_and_times_in_the_branch_zone() -> None:
    board = build_board(STAGES, [order("1")], ZONES, date(2026, 12, 2), NOW)
    card = board.columns[0].cards[0]
    assert card.customer == "Maria"
    assert card.stage_due == "03/12 18:00"  # 21:00 UTC is 18:00 in São Paulo
    assert card.promised == "09/12"


def test_the_risk_reason_shows_only_when_the_order_is_not_on_track() -> None:
    orders = [
        order("1", risk_reason="Dentro do prazo"),
        order("2", risk_level="at_risk", risk_reason="previsão do laboratório 11/12"),
    ]
    cards = {
        c.number: c
        for c in build_board(STAGES, orders, ZONES, date(2026, 12, 2), NOW).columns[0].cards
    }
    assert cards["1"].risk_reason is None
    assert cards["2"].risk_reason == "previsão do laboratório 11/12"
    assert cards["2"].risk_label == "em risco"


def test_counters_count_open_at_risk_overdue_and_promised_for_today() -> None:
    orders = [
        order("1", risk_level="at_risk"),
        order("2", risk_level="overdue", promised_date="2026-12-02"),
        order("3", promised_date="2026-12-02"),
        order("4"),
    ]
    counters = build_board(STAGES, orders, ZONES, date(2026, 12, 2), NOW).counters
    assert (counters.open, counters.at_risk, counters.overdue, counters.deliver_today) == (
        4,
        1,
        1,
        2,
    )


def test_an_order_in_a_stage_the_flow_no_longer_has_gets_its_own_column_last() -> None:
    old = order("1", stage_key="velha", stage_name="Etapa antiga")
    board = build_board(STAGES, [old], ZONES, date(2026, 12, 2), NOW)
    assert board.columns[-1].name == "Etapa antiga"
    assert board.columns[-1].cards[0].number == "1"


def test_a_card_changed_seconds_ago_is_marked_fresh_for_the_live_highlight() -> None:
    orders = [order("1", updated_at="2026-12-02T14:59:58Z"), order("2")]
    cards = {
        c.number: c
        for c in build_board(STAGES, orders, ZONES, date(2026, 12, 2), NOW).columns[0].cards
    }
    assert cards["1"].fresh
    assert not cards["2"].fresh


def test_a_long_column_shows_the_most_urgent_cards_and_counts_the_rest() -> None:
    orders = [order(str(i), stage_due_at=f"2026-12-{10 + i % 9:02d}T21:00:00Z") for i in range(7)]
    orders.append(order("urgente", risk_level="overdue"))
    board = build_board(STAGES, orders, ZONES, date(2026, 12, 2), NOW, cards_per_column=3)
    column = board.columns[0]
    assert column.cards[0].number == "urgente"
    assert (len(column.cards), column.more) == (3, 5)
    assert board.counters.open == 8


def test_an_order_read_twice_is_shown_and_counted_once() -> None:
    board = build_board(STAGES, [order("1"), order("1")], ZONES, date(2026, 12, 2), NOW)
    assert len(board.columns[0].cards) == 1
    assert board.counters.open == 1
