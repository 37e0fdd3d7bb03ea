"""Menus and buttons by role and state; where sign-in may send a person back to."""

from __future__ import annotations

import pytest

from console.domain.permissions import Action, StagePlace, actions_for, menu_for, stage_place
from console.entrypoints.http.session import safe_next


def test_a_viewer_sees_no_counter_form_and_no_action_buttons() -> None:
    assert "Nova OS" not in [entry.label for entry in menu_for("viewer")]
    assert actions_for("viewer", "in_progress") == ()


def test_only_admins_see_labs_and_only_managers_and_admins_see_review() -> None:
    assert "Laboratórios" in [e.label for e in menu_for("chain_admin")]
    assert "Laboratórios" not in [e.label for e in menu_for("branch_manager")]
    assert "Análise" in [e.label for e in menu_for("branch_manager")]
    assert "Análise" not in [e.label for e in menu_for("attendant")]


@pytest.mark.parametrize(
    ("status", "offered", "not_offered"),
    [
        ("in_progress", Action.ADVANCE, Action.RESUME),
        ("paused", Action.RESUME, Action.ADVANCE),
        ("delivered", Action.REOPEN, Action.CANCEL),
        ("cancelled", Action.REOPEN, Action.DELIVER),
    ],
)
def test_an_order_offers_what_its_state_allows(
    status: str, offered: Action, not_offered: Action
) -> None:
    actions = actions_for("attendant", status)
    assert offered in actions
    assert not_offered not in actions


STAGES = [
    {"key": "received", "pauses_clock": False},
    {"key": "lab", "pauses_clock": False},
    {"key": "waiting_frame", "pauses_clock": True},
    {"key": "ready", "pauses_clock": False},
]


@pytest.mark.parametrize(
    ("stage", "status", "offered", "not_offered"),
    [
        ("received", "in_progress", {Action.ADVANCE}, {Action.BACK, Action.DELIVER}),
        ("lab", "in_progress", {Action.ADVANCE, Action.BACK}, {Action.DELIVER}),
        ("lab", "paused", {Action.RESUME}, {Action.DELIVER}),
        ("waiting_frame", "in_progress", {Action.ADVANCE, Action.DELIVER}, set()),
        ("ready", "in_progress", {Action.BACK, Action.DELIVER}, {Action.ADVANCE}),
        ("ready", "paused", {Action.RESUME, Action.DELIVER}, {Action.ADVANCE}),
        ("ready", "delivered", {Action.REOPEN}, {Action.DELIVER}),
    ],
)
def test_an_order_offers_only_what_its_stage_allows(
    stage: str, status: str, offered: set[Action], not_offered: set[Action]
) -> None:
    actions = set(actions_for("attendant", status, stage_place(STAGES, stage)))
    assert offered <= actions
    assert not (not_offered & actions)


def test_an_order_in_a_stage_its_flow_no_longer_lists_offers_every_action_of_its_state() -> None:
    assert stage_place(STAGES, "retired") is None
    every = {Action.ADVANCE, Action.BACK, Action.DELIVER}
    assert every <= set(actions_for("attendant", "in_progress", stage_place(STAGES, "retired")))
    only = stage_place([{"key": "one"}], "one")
    assert only == StagePlace(first=True, last=True, waits_for_customer=False)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/os/123?x=1", "/os/123?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        (None, "/"),
    ],
)
def test_sign_in_sends_back_only_to_a_path_of_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
