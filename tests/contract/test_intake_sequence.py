"""Contract of intake's number store: branch order numbers and order event numbers."""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import uuid

import pytest

from intake.usecases.ports import Transactions
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    intake_pool,
    new_branch,
    new_chain,
    new_order,
    transactions,
)


async def test_order_numbers_count_per_branch_from_one(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        first, second = await new_branch(stores, chain_id), await new_branch(stores, chain_id)
        taken = [await stores.sequence.take_order_number(chain_id, first.branch_id) for _ in "ab"]
        other = await stores.sequence.take_order_number(chain_id, second.branch_id)
    assert [t.seq for t in taken if t] == [1, 2]
    assert other is not None
    assert other.seq == 1
    chain = taken[0]
    assert chain is not None
    assert chain.branch == first
    assert chain.chain_name.startswith("Rede ")


async def test_no_number_for_a_branch_of_another_chain(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        assert (
            await stores.sequence.take_order_number(await new_chain(stores), branch.branch_id)
            is None
        )
        assert await stores.sequence.take_order_number(chain_id, uuid.uuid4()) is None


async def test_event_numbers_follow_the_opening(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        order = await new_order(stores, chain_id, await new_branch(stores, chain_id))
        assert [await stores.sequence.next_event_seq(order.order_id) for _ in "abc"] == [2, 3, 4]
        with pytest.raises(LookupError):
            await stores.sequence.next_event_seq(uuid.uuid4())
