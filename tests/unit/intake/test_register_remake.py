"""A remake or warranty order opened by workflow (``order.remake_opened.v1``) is registered in
intake under its new id and number, once, as a copy of the original's registration."""

from __future__ import annotations

import uuid

from etapa_contracts.events import RemakeOpened
from intake.usecases.open_order import open_order
from intake.usecases.register_remake import on_remake_opened
from tests.fakes.intake import FakeIntake
from tests.unit.intake.test_open_order import NOW, _chain_and_branch, _new


async def test_a_remake_opened_by_workflow_is_registered_once() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    original = await open_order(
        intake, _new(branch), chain_id=chain_id, now=NOW, new_id=uuid.uuid4, idempotency_key=None
    )
    event = RemakeOpened(
        occurred_at=NOW,
        correlation_id="reopen",
        chain_id=chain_id,
        order_id=uuid.uuid4(),
        order_number=f"{original.order.number}-R1",
        branch_id=branch.branch_id,
        reopened_from=original.order.order_id,
        reopen_kind="warranty",
        opened_at=NOW,
    )
    for _ in range(2):  # a second delivery (another message id) registers nothing more
        async with intake.begin() as stores:
            await on_remake_opened(stores, event)

    async with intake.begin() as stores:
        assert await stores.orders.exists(event.order_id)
    remake = intake.state.orders[event.order_id]
    assert remake.number == "SP01-000001-R1"
    assert remake.customer_phone == original.order.customer_phone
    assert len([o for o in intake.state.orders.values() if o.number.endswith("-R1")]) == 1


async def test_a_remake_of_an_order_intake_does_not_know_registers_nothing() -> None:
    intake = FakeIntake()
    chain_id, branch = await _chain_and_branch(intake)
    event = RemakeOpened(
        occurred_at=NOW,
        correlation_id="reopen",
        chain_id=chain_id,
        order_id=uuid.uuid4(),
        order_number="SP01-000009-R1",
        branch_id=branch.branch_id,
        reopened_from=uuid.uuid4(),
        reopen_kind="remake",
        opened_at=NOW,
    )
    async with intake.begin() as stores:
        await on_remake_opened(stores, event)
    assert event.order_id not in intake.state.orders
