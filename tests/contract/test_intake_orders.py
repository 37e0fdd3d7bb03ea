"""Contract of intake's order store (orders and their actions), fake and PostgreSQL alike."""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import uuid
from dataclasses import replace

from intake.domain.records import StoredAction
from intake.usecases.ports import Transactions
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    NOW,
    action_event,
    intake_pool,
    new_action,
    new_branch,
    new_chain,
    new_order,
    transactions,
)


async def test_an_order_reads_back_as_written_and_only_in_its_chain(
    transactions: Transactions,
) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        other_chain = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        order = await new_order(stores, chain_id, branch)
    async with transactions.begin() as stores:
        assert await stores.orders.get(chain_id, order.order_id) == order
        assert await stores.orders.get(other_chain, order.order_id) is None
        found = await stores.orders.get_with_branch_zone(chain_id, order.order_id)
        assert found == (order, branch.timezone)
        assert await stores.orders.get_with_branch_zone(other_chain, order.order_id) is None
        assert await stores.orders.get_with_branch_zone(chain_id, uuid.uuid4()) is None
        assert await stores.orders.by_number(chain_id, order.number) == order
        assert await stores.orders.by_number(other_chain, order.number) is None
        assert await stores.orders.exists(order.order_id)
        assert not await stores.orders.exists(uuid.uuid4())


async def test_the_lab_order_number_is_kept_and_none_keeps_the_known_one(
    transactions: Transactions,
) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        order = await new_order(stores, chain_id, await new_branch(stores, chain_id))
        await stores.orders.set_lab_order_number(order.order_id, "778812")
        await stores.orders.set_lab_order_number(order.order_id, None)
        found = await stores.orders.get(chain_id, order.order_id)
    assert found == replace(order, lab_order_number="778812")


async def test_an_order_is_bound_to_the_first_lab_and_refused_to_others(
    transactions: Transactions,
) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        unbound = await new_order(stores, chain_id, branch)
        opened_with = await new_order(stores, chain_id, branch, lab_code="LABA")
        assert await stores.orders.bind_to_lab(unbound.order_id, "LABA")
        assert await stores.orders.bind_to_lab(unbound.order_id, "LABA")  # again: still its
        assert not await stores.orders.bind_to_lab(unbound.order_id, "LABB")
        assert await stores.orders.bind_to_lab(opened_with.order_id, "LABA")
        assert not await stores.orders.bind_to_lab(opened_with.order_id, "LABB")
        assert not await stores.orders.bind_to_lab(uuid.uuid4(), "LABA")
        assert await stores.orders.get(chain_id, unbound.order_id) == replace(
            unbound, lab_code="LABA"
        )
        assert await stores.orders.get(chain_id, opened_with.order_id) == opened_with


async def test_which_branch_codes_number_orders(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        used = await new_branch(stores, chain_id)
        unused = await new_branch(stores, chain_id)
        await new_order(stores, chain_id, used)
        assert await stores.orders.branch_has_orders(used.branch_id)
        assert not await stores.orders.branch_has_orders(unused.branch_id)
        assert await stores.orders.code_numbered_orders(chain_id, used.code)
        assert not await stores.orders.code_numbered_orders(chain_id, unused.code)
        assert not await stores.orders.code_numbered_orders(await new_chain(stores), used.code)


async def test_an_action_reads_back_as_written(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        order = await new_order(stores, chain_id, await new_branch(stores, chain_id))
        action = new_action(chain_id, order.order_id, "pause", "cliente viajou")
        event = action_event(action)
        stored = event.model_copy(update={"order_seq": 2})  # the opening is 1
        assert await stores.orders.insert_action(action, event, visible=None) == StoredAction(
            action,
            stored,
            "America/Sao_Paulo",  # the branch's zone
        )
        second = replace(action, action_id=uuid.uuid4(), kind="resume", reason=None)
        written = await stores.orders.insert_action(second, action_event(second), visible=None)
        assert written is not None
        assert (written.action, written.event.order_seq) == (second, 3)
        assert written.event.message_id == second.action_id
        assert await stores.sequence.next_event_seq(order.order_id) == 4  # one numbering
    async with transactions.begin() as stores:
        assert await stores.orders.get_action(action.action_id) == action
        assert await stores.orders.get_action(uuid.uuid4()) is None


async def test_an_action_outside_a_transaction_is_written_whole(
    transactions: Transactions,
) -> None:
    """``each_statement``: the action, its number and its event are one statement, kept
    even when the block fails after it (there is no transaction to roll back)."""
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        order = await new_order(stores, chain_id, await new_branch(stores, chain_id))
    action = new_action(chain_id, order.order_id, "advance", None)
    try:
        async with transactions.each_statement() as stores:
            written = await stores.orders.insert_action(action, action_event(action), visible=None)
            raise RuntimeError("after the write")
    except RuntimeError:
        pass
    assert written is not None
    assert written.event.order_seq == 2
    async with transactions.each_statement() as stores:
        assert await stores.orders.get_action(action.action_id) == action
        assert await stores.sequence.next_event_seq(order.order_id) == 3  # 2 was taken


async def test_an_action_on_an_order_out_of_reach_writes_nothing(
    transactions: Transactions,
) -> None:
    """``insert_action`` finds the order itself: one of another chain, of a branch not in
    ``visible``, or none at all, and nothing is written (no action, no number taken)."""
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        other_chain = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
        order = await new_order(stores, chain_id, branch)
    theirs = new_action(other_chain, order.order_id, "advance", None)
    elsewhere = new_action(chain_id, order.order_id, "advance", None)
    missing = new_action(chain_id, uuid.uuid4(), "advance", None)
    async with transactions.each_statement() as stores:
        assert await stores.orders.insert_action(theirs, action_event(theirs), visible=None) is None
        assert (
            await stores.orders.insert_action(
                elsewhere, action_event(elsewhere), visible=frozenset({uuid.uuid4()})
            )
            is None
        )
        assert (
            await stores.orders.insert_action(missing, action_event(missing), visible=None) is None
        )
        for refused in (theirs, elsewhere, missing):
            assert await stores.orders.get_action(refused.action_id) is None
        assert await stores.sequence.next_event_seq(order.order_id) == 2  # none was taken
        mine = new_action(chain_id, order.order_id, "advance", None)
        seen = await stores.orders.insert_action(
            mine, action_event(mine), visible=frozenset({branch.branch_id})
        )
    assert seen is not None
    assert seen.event.order_seq == 3


async def test_a_failed_transaction_leaves_nothing(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        branch = await new_branch(stores, chain_id)
    order_id = None
    try:
        async with transactions.begin() as stores:
            order_id = (await new_order(stores, chain_id, branch)).order_id
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    async with transactions.begin() as stores:
        assert order_id is not None
        assert not await stores.orders.exists(order_id)
        again = await new_order(stores, chain_id, branch)
    assert again.number == f"{branch.code}-000001"  # the number came back
