"""The order screen's progress line and timeline."""

from __future__ import annotations

from typing import Any

from console.domain.order_view import (
    completion_fact,
    held_sms_outlook,
    newest_first,
    progress_line,
)

FLOW = [
    {"key": k, "name": n}
    for k, n in [("rx", "Receita"), ("lab", "Laboratório"), ("ready", "Pronto")]
]
SP = "America/Sao_Paulo"


def order(stage: str, status: str = "in_progress", **more: Any) -> dict[str, Any]:
    return {
        "stage_key": stage,
        "stage_name": stage,
        "stage_position": 1,
        "status": status,
        "stages": [
            {
                "stage_key": "rx",
                "due_at": "2026-12-02T21:00:00Z",
                "exited_at": "2026-12-02T15:00:00Z",
            },
            {"stage_key": "lab", "due_at": "2026-12-08T21:00:00Z", "exited_at": None},
        ],
        **more,
    }


def test_stages_before_the_current_are_done_and_after_it_next() -> None:
    steps = progress_line(FLOW, order("lab"), SP)
    assert [(s.name, s.state) for s in steps] == [
        ("Receita", "done"),
        ("Laboratório", "current"),
        ("Pronto", "next"),
    ]
    assert steps[0].when == "concluída 02/12 12:00"
    assert steps[1].when == "vence 08/12 18:00"
    assert steps[2].when == ""


def test_a_delivered_order_has_every_stage_up_to_its_last_done() -> None:
    steps = progress_line(FLOW, order("ready", status="delivered"), SP)
    assert [s.state for s in steps] == ["done", "done", "done"]


def test_a_stage_the_flow_no_longer_names_is_shown_where_the_order_is() -> None:
    steps = progress_line(FLOW, order("old", stage_position=1), SP)
    assert [(s.key, s.state) for s in steps] == [
        ("rx", "done"),
        ("old", "current"),
        ("lab", "next"),
        ("ready", "next"),
    ]


def test_the_timeline_reads_newest_first_even_with_uneven_fractions() -> None:
    entries = [
        {"occurred_at": "2026-12-02T10:00:00Z", "summary": "a"},
        {"occurred_at": "2026-12-02T10:00:00.500000Z", "summary": "b"},
        {"occurred_at": "2026-12-02T10:00:00.500000Z", "summary": "c"},
    ]
    assert [e["summary"] for e in newest_first(entries)] == ["c", "b", "a"]


def test_an_open_order_shows_its_forecast_with_the_reason_beside_it() -> None:
    fact = completion_fact(order("lab", projected_completion_at="2026-12-09T21:00:00Z"), False, SP)
    assert (fact.label, fact.when, fact.forecast) == (
        "Previsão de conclusão",
        "09/12/2026 18:00",
        True,
    )


def test_an_order_waiting_in_its_last_stage_says_since_when_it_is_ready() -> None:
    ready = order(
        "ready",
        stage_entered_at="2026-12-04T17:30:00Z",
        projected_completion_at="2026-12-09T21:00:00Z",
    )
    fact = completion_fact(ready, True, SP)
    assert (fact.label, fact.when, fact.forecast) == ("Pronta desde", "04/12/2026 14:30", False)
    paused_there = completion_fact({**ready, "status": "paused"}, True, SP)
    assert paused_there.label == "Pronta desde"


def test_a_closed_order_says_when_it_was_delivered_or_cancelled_not_a_forecast() -> None:
    closed = {"closed_at": "2026-12-05T12:00:00Z", "projected_completion_at": "2026-12-09T21:00Z"}
    delivered = completion_fact(order("ready", "delivered", **closed), True, SP)
    cancelled = completion_fact(order("lab", "cancelled", **closed), False, SP)
    assert (delivered.label, delivered.when) == ("Entregue em", "05/12/2026 09:00")
    assert (cancelled.label, cancelled.when) == ("Cancelada em", "05/12/2026 09:00")
    assert not delivered.forecast
    assert not cancelled.forecast


def test_a_cancelled_orders_stage_has_nothing_due_any_more() -> None:
    steps = progress_line(FLOW, order("lab", "cancelled"), SP)
    assert [(s.name, s.state, s.when) for s in steps][1:] == [
        ("Laboratório", "current", "cancelada aqui"),
        ("Pronto", "next", ""),
    ]
    assert progress_line(FLOW, order("lab"), SP)[1].when == "vence 08/12 18:00"


def test_a_held_sms_says_it_will_not_go_out_in_the_notifiers_words() -> None:
    moved = "a OS já passou desta etapa antes do horário de envio"
    assert held_sms_outlook({"status": "held", "not_sent_reason": moved}) == (
        "não será enviada: a OS já passou desta etapa antes do horário de envio"
    )
    assert held_sms_outlook({"status": "held", "not_sent_reason": None}) is None  # it will
    assert held_sms_outlook({"status": "held"}) is None  # a notifier that does not say
    assert held_sms_outlook({"status": "suppressed", "not_sent_reason": moved}) is None
