"""Every reason intake gives for refusing a lab's message reads in Portuguese by default (the
Laboratórios page shows it to a manager) and as written in English, the field still named."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from intake.domain.lab_intake import check_message, check_order, stale, with_another_lab
from intake.domain.lab_message import LabMessage, LabTimeWindow, Unreadable, read
from intake.domain.records import Lab
from shared.problem_texts import ENGLISH, PORTUGUESE, localize
from tests.unit.intake.test_open_order import NOW

LAB = Lab(lab_id=uuid.uuid4(), chain_id=uuid.uuid4(), code="LABX", name="Lab X")
ENGLISH_WORDS = (
    "order",
    "lab ",
    "registered",
    "differs",
    "older",
    "not JSON",
    "Input",
    "Field",
    "Expecting",
    "line ",
    "column",
    "codec",
)


def _message(**changes: object) -> bytes:
    body = {
        "message_id": "m-1",
        "order_number": "SP01-000001",
        "status": "received",
        "occurred_at": NOW.isoformat(),
        **changes,
    }
    return json.dumps(body).encode()


def _reason_of(body: bytes, sender: Lab | None = LAB) -> str:
    decision = check_message(sender, "NOPE", read(body), LabTimeWindow(), NOW)
    assert not isinstance(decision, LabMessage)
    assert decision.reason is not None
    return decision.reason


def _unreadable(body: bytes) -> str:
    read_out = read(body)
    assert isinstance(read_out, Unreadable)
    return read_out.reason


def _reasons() -> list[str]:
    message = read(_message())
    assert isinstance(message, LabMessage)
    unknown = check_order(None, LAB, message)
    assert unknown is not None
    assert unknown.reason is not None
    return [
        _reason_of(_message(), sender=None),
        _unreadable(b"{not json"),
        _unreadable(b'{"order_number": "SP01-000001",}'),
        _unreadable(b'{"order_number": "SP01'),
        _unreadable(b"\xff\xfe"),
        _unreadable(_message(status="lost", occurred_at=None)),
        _reason_of(_message(lab_code="LABY")),
        _reason_of(_message(occurred_at=(NOW - timedelta(days=40)).isoformat())),
        unknown.reason,
        str(with_another_lab(uuid.uuid4(), message).reason),
        str(stale(uuid.uuid4(), message).reason),
    ]


@pytest.mark.parametrize("reason", _reasons())
def test_a_rejection_reason_reads_in_portuguese_with_its_field(reason: str) -> None:
    portuguese = localize(reason, PORTUGUESE)
    fields = [part.split(": ")[0] for part in reason.split("; ") if ": " in part]
    problems = [part.split(": ", 1)[-1] for part in portuguese.split("; ")]
    assert not any(word in problem for problem in problems for word in ENGLISH_WORDS), portuguese
    assert [part.split(": ")[0] for part in portuguese.split("; ") if ": " in part] == fields
    assert localize(reason, ENGLISH) == reason
