"""The order screen's progress line and timeline."""

from __future__ import annotations

from typing import Any

from console.domain.order_view import newest_first, progress_line

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
