"""A statement that writes an outbox row among its own parameters numbers them from the
helper, so a new outbox column cannot shift them by hand (a 7th column once sent `advance`
to HTTP 500 until intake's and the notifier's statements were renumbered)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from etapa_contracts.events import OrderAction
from shared import outbox


def test_the_placeholders_follow_the_columns_from_the_first_parameter_on() -> None:
    assert outbox.row_placeholders(1) == ", ".join(f"${n}" for n in range(1, outbox.WIDTH + 1))
    assert outbox.row_placeholders(12).split(", ")[0] == "$12"
    assert outbox.row_placeholders(12).split(", ")[-1] == f"${11 + outbox.WIDTH}"


def test_the_payload_placeholder_can_be_wrapped_and_stays_in_its_column() -> None:
    wrapped = outbox.row_placeholders(5, payload=lambda p: f"f({p})").split(", ")
    at = outbox.COLUMNS.split(", ").index("payload")
    assert wrapped[at] == f"f(${5 + at})"
    assert len(wrapped) == outbox.WIDTH


def test_a_row_has_one_value_per_column() -> None:
    event = OrderAction(
        chain_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        action="advance",
        actor="Alice",
        requested_at=datetime.now(UTC),
        occurred_at=datetime.now(UTC),
        correlation_id="c-1",
    )
    assert len(outbox.row_values(event)) == outbox.WIDTH
