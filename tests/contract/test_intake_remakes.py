"""Contract of intake's remake store: a reopened order registered as a copy of its original."""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from intake.usecases.ports import Transactions
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    NOW,
    intake_pool,
    new_branch,
    new_chain,
    new_order,
    transactions,
)


async def test_a_remake_copies_its_original_under_its_new_id_and_number(
    transactions: Transactions,
) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        original = await new_order(stores, chain_id, await new_branch(stores, chain_id))
        await stores.orders.set_lab_order_number(original.order_id, "778812")
        remake_id = uuid.uuid4()
        later = NOW + timedelta(days=3)
        for registered in (True, False):  # the second time: known already
            assert registered == await stores.remakes.register(
                order_id=remake_id,
                number=original.number + "-R1",
                opened_at=later,
                reopened_from=original.order_id,
                chain_id=chain_id,
            )
        remake = await stores.orders.get(chain_id, remake_id)
        assert remake == replace(
            original, order_id=remake_id, number=original.number + "-R1", opened_at=later
        )
        assert await stores.sequence.next_event_seq(remake_id) == 2


async def test_no_remake_of_an_unknown_or_foreign_original(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        original = await new_order(stores, chain_id, await new_branch(stores, chain_id))
        for reopened_from, chain in ((uuid.uuid4(), chain_id), (original.order_id, uuid.uuid4())):
            remake_id = uuid.uuid4()
            assert not await stores.remakes.register(
                order_id=remake_id,
                number="X-R1",
                opened_at=NOW,
                reopened_from=reopened_from,
                chain_id=chain,
            )
            assert not await stores.orders.exists(remake_id)
