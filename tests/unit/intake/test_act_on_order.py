"""Recording a staff action on the fakes: the event, its number, and the idempotency key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from intake.domain.actions import NewAction
from intake.domain.idempotency import IdempotencyConflict
from intake.usecases.act_on_order import record_action
from intake.usecases.open_order import open_order
from shared.events import OrderAction
from tests.fakes.intake import FakeIntake
from tests.unit.intake.test_open_order import NOW, _chain_and_branch, _new


async def _order(intake: FakeIntake) -> tuple[uuid.UUID, uuid.UUID]:
    chain_id, branch = await _chain_and_branch(intake)
    opened = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )
    return chain_id, opened.order.order_id


async def test_actions_are_published_numbered_after_the_opening() -> None:
    intake = FakeIntake()
    chain_id, order_id = await _order(intake)
    later = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    for kind in ("advance", "advance"):
        recorded = await record_action(
            intake,
            chain_id,
            NewAction(order_id=order_id, kind=kind, actor="Alice"),
            now=later,
            new_id=uuid.uuid4,
            idempotency_key=None,
        )
        assert recorded.created
    events = [e for e in intake.published if isinstance(e, OrderAction)]
    assert [(e.action, e.order_seq) for e in events] == [("advance", 2), ("advance", 3)]
    assert events[1].message_id == recorded.action.action_id
    assert recorded.action.requested_at == later


async def test_a_retry_returns_the_first_action_and_another_body_is_a_conflict() -> None:
    intake = FakeIntake()
    chain_id, order_id = await _order(intake)
    pause = NewAction(order_id=order_id, kind="pause", actor="Alice", reason="viagem")
    first = await record_action(
        intake, chain_id, pause, now=NOW, new_id=uuid.uuid4, idempotency_key="k"
    )
    retry = await record_action(
        intake, chain_id, pause, now=NOW, new_id=uuid.uuid4, idempotency_key="k"
    )
    assert (retry.created, retry.action) == (False, first.action)
    assert len([e for e in intake.published if isinstance(e, OrderAction)]) == 1
    with pytest.raises(IdempotencyConflict):
        await record_action(
            intake,
            chain_id,
            NewAction(order_id=order_id, kind="pause", actor="Alice", reason="outra"),
            now=NOW,
            new_id=uuid.uuid4,
            idempotency_key="k",
        )
