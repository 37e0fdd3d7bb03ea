"""Contract of workflow's OrderSequence: the applied counter and the parking lot."""

from __future__ import annotations

import uuid

from tests.contract import workflow_stores
from tests.fakes.workflow_kit import action_event, new_order, opened_event, seed, snapshot
from workflow.usecases.ports import Stores

stores = workflow_stores.stores


async def test_the_counter_starts_at_the_opening_and_follows_set_applied(stores: Stores) -> None:
    chain = uuid.uuid4()
    branch_id, _ = await seed(stores, chain)
    order = new_order(chain, branch_id)
    await stores.sequence.lock(order.order_id)
    await stores.sequence.lock(order.order_id)  # held by this transaction: taken again at once
    assert await stores.sequence.applied_seq(chain, order.order_id) is None

    await stores.orders.insert(
        order,
        None,
        tracking_token="tok-aaaaaaa1",
        due_explanation=None,
        status_reason="x",
        now=order.opened_at,
    )
    assert await stores.sequence.applied_seq(chain, order.order_id) == 1
    await stores.sequence.set_applied(order.order_id, 3)

    assert await stores.sequence.applied_seq(chain, order.order_id) == 3
    assert await stores.sequence.applied_seq(uuid.uuid4(), order.order_id) is None


async def test_a_parked_event_is_taken_once_by_its_sequence_and_chain(stores: Stores) -> None:
    chain = uuid.uuid4()
    opened = opened_event(chain, snapshot())
    early = action_event(opened, "advance", 3)

    assert await stores.sequence.park(early, opened.order_id, 3)
    assert not await stores.sequence.park(early, opened.order_id, 3)
    assert await stores.sequence.take(chain, opened.order_id, 2) is None
    assert await stores.sequence.take(uuid.uuid4(), opened.order_id, 3) is None
    taken = await stores.sequence.take(chain, opened.order_id, 3)

    assert taken is not None
    assert taken.routing_key == "order.action.v1"
    assert type(early).model_validate(taken.payload) == early
    assert await stores.sequence.take(chain, opened.order_id, 3) is None
