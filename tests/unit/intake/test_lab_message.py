"""Reading a lab's message: the architecture's example is read; anything else says why not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from intake.domain.lab_message import LabMessage, Unreadable, read

EXAMPLE: dict[str, Any] = {
    "message_id": "unique per message",
    "lab_code": "LABX",
    "order_number": "SP01-000123",
    "lab_order_number": "778812",
    "status": "received",
    "status_raw": "REC",
    "eta": "2026-12-03",
    "occurred_at": "2026-11-23T14:03:00-03:00",
    "note": None,
}


def test_the_documented_example_is_read() -> None:
    message = read(json.dumps(EXAMPLE).encode())
    assert isinstance(message, LabMessage)
    assert (
        message.order_number,
        message.status,
        message.eta.isoformat() if message.eta else None,
    ) == (
        "SP01-000123",
        "received",
        "2026-12-03",
    )
    assert message.occurred_at.utcoffset() is not None


def test_fields_a_lab_adds_are_ignored() -> None:
    assert isinstance(read(json.dumps(EXAMPLE | {"operator": "Zé"}).encode()), LabMessage)


@pytest.mark.parametrize(
    ("body", "mentions", "message_id"),
    [
        (b"\xff\xfe", "body: not JSON", None),
        (b"[1, 2]", "Input should be", None),
        (json.dumps(EXAMPLE | {"status": "lost"}).encode(), "status:", "unique per message"),
        (
            json.dumps(EXAMPLE | {"occurred_at": "2026-11-23T14:03:00"}).encode(),
            "occurred_at:",
            "unique per message",
        ),
        (
            json.dumps({k: v for k, v in EXAMPLE.items() if k != "order_number"}).encode(),
            "order_number: Field required",
            "unique per message",
        ),
        (json.dumps(EXAMPLE | {"lab_code": "lab x"}).encode(), "lab_code:", "unique per message"),
        (json.dumps(EXAMPLE | {"message_id": 7}).encode(), "message_id:", None),
    ],
)
def test_an_unreadable_message_says_which_field_and_keeps_a_usable_id(
    body: bytes, mentions: str, message_id: str | None
) -> None:
    result = read(body)
    assert isinstance(result, Unreadable)
    assert mentions in result.reason
    assert result.message_id == message_id


def test_lab_times_are_accepted_only_within_the_window_around_receipt() -> None:
    from datetime import UTC, datetime, timedelta

    from intake.domain.lab_message import LabTimeWindow

    received = datetime(2026, 11, 24, 15, tzinfo=UTC)
    window = LabTimeWindow(back=timedelta(days=30), ahead=timedelta(minutes=10))
    assert window.refusal(received - timedelta(days=30), received) is None
    assert window.refusal(received + timedelta(minutes=10), received) is None
    too_old = window.refusal(received - timedelta(days=30, seconds=1), received)
    assert too_old is not None
    assert too_old.startswith("occurred_at:")
    assert "futuro" in (window.refusal(received + timedelta(minutes=11), received) or "")
    assert window.refusal(datetime(1, 1, 1, tzinfo=UTC), received) is not None
