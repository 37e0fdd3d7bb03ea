"""What a staff action must say, as a table: kind x fields → the problems named."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from intake.domain.actions import NewAction, problems


def _action(kind: str, **fields: Any) -> NewAction:
    return NewAction(order_id=uuid.uuid4(), kind=kind, actor="Ana", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        ("advance", {}, []),
        ("advance", {"target_stage": "pronto"}, []),
        ("back", {"reason": "erro"}, []),
        ("back", {}, ["reason"]),
        ("pause", {}, ["reason"]),
        ("resume", {}, []),
        ("assign", {"assignee": "Carlos"}, []),
        ("assign", {}, ["assignee"]),
        ("note", {"note": "ligou"}, []),
        ("note", {}, ["note"]),
        ("cancel", {}, ["reason"]),
        ("deliver", {"reason": "retirou"}, []),
        ("reopen", {"reason": "risco", "reopen_kind": "warranty"}, []),
        ("reopen", {}, ["reason", "reopen_kind"]),
        ("pause", {"reason": "x", "target_stage": "pronto"}, ["target_stage"]),
        ("deliver", {"assignee": "Carlos", "note": "n"}, ["assignee", "note"]),
        ("advance", {"reopen_kind": "remake"}, ["reopen_kind"]),
    ],
)
def test_problems_name_the_missing_or_misplaced_fields(
    kind: str, fields: dict[str, Any], expected: list[str]
) -> None:
    assert [field for field, _ in problems(_action(kind, **fields))] == expected


def test_the_same_request_has_the_same_fingerprint_and_another_does_not() -> None:
    order_id = uuid.uuid4()
    first = NewAction(order_id, "pause", "Ana", reason="aguardando")
    assert (
        first.fingerprint()
        == NewAction(order_id, "pause", "Ana", reason="aguardando").fingerprint()
    )
    assert first.fingerprint() != NewAction(order_id, "pause", "Ana", reason="outro").fingerprint()
