"""An order's events are applied in the order intake accepted them (``order_seq``), whatever
order the broker delivers them in: an early one is parked, never refused or requeued."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest

from shared.events import OrderAction, OrderActionKind, OrderOpened
from shared.topology import Topology
from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices, eventually
from tests.integration.order_engine_kit import (
    action,
    detail,
    opened_event,
    publish,
    spy,
    wait_for,
    workflow_pool,
)
from workflow.app import create_engine
from workflow.config import WorkflowSettings
from workflow.service import WorkflowHandlers

pytestmark = pytest.mark.integration

# The fault-injection campaign's workload: SMS expected at entries 1, 3 and 5.
WORKLOAD: tuple[OrderActionKind, ...] = ("advance", "advance", "back", "advance")


@pytest.fixture
async def http(chain: SeededChain) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, headers=chain.headers) as client:
        yield client


def sequenced(opened: OrderOpened) -> tuple[OrderOpened, list[OrderAction]]:
    """The opening (sequence 1) and the workload's actions (2, 3, …), as intake numbers them."""
    actions = [
        action(opened, kind, order_seq=seq, **({"reason": "refazer"} if kind == "back" else {}))
        for seq, kind in enumerate(WORKLOAD, start=2)
    ]
    return opened.model_copy(update={"order_seq": 1}), actions


async def dead_lettered(services: RunningServices) -> int:
    topology = Topology(prefix=services.env["ETAPA_TOPOLOGY_PREFIX"])
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel()
        total = 0
        for key in ("order.action.v1", "order.opened.v1"):
            name = topology.dead_letter_queue_name(topology.queue_name("workflow", key))
            queue = await channel.declare_queue(name, passive=True)
            total += queue.declaration_result.message_count or 0
        return total


def assert_applied_in_accepted_order(found: dict[str, Any]) -> None:
    kinds = [t["kind"] for t in found["timeline"]]
    assert "action_refused" not in kinds, [t["summary"] for t in found["timeline"]]
    entered = [t["detail"]["stage"] for t in found["timeline"] if t["kind"] == "stage_entered"]
    assert entered == ["recebido", "producao", "pronto", "producao", "pronto"]
    assert (found["stage_key"], found["entry_sequence"]) == ("pronto", 5)


async def test_actions_that_arrive_before_their_order_and_out_of_order_wait_and_apply_in_order(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened, actions = sequenced(opened_event(chain))
    dead_before = await dead_lettered(services)

    async with spy(services, "order.stage_changed.v1") as seen:
        for seq in (5, 3, 4, 2):  # scrambled, and all before the opening
            await publish(services, actions[seq - 2])
        # Long enough for a requeue loop to burn the test's delivery limit (3) many times over.
        await asyncio.sleep(2)
        await publish(services, opened)
        found = await wait_for(http, services, opened.order_id, lambda d: d["entry_sequence"] == 5)
        changes = await eventually(lambda: _at_least(seen.of(opened.order_id), 5))

    assert_applied_in_accepted_order(found)
    assert [c["entry_sequence"] for c in changes] == [1, 2, 3, 4, 5]
    assert await dead_lettered(services) == dead_before

    async def sms_entries() -> list[int] | None:
        response = await http.get(
            f"{services.urls['notifier']}/api/v1/messages",
            params={"order_id": str(opened.order_id)},
        )
        entries = sorted(m["entry_sequence"] for m in response.json()["items"])
        return entries if len(entries) >= 3 else None

    assert await eventually(sms_entries) == [1, 3, 5]
    async with workflow_pool(services) as pool:
        parked = await pool.fetchval(
            "SELECT count(*) FROM parked_order_events WHERE order_id = $1", opened.order_id
        )
    assert parked == 0


async def test_a_redelivered_early_action_is_applied_once_in_its_place(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened, actions = sequenced(opened_event(chain))
    await publish(services, opened)
    await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "recebido")

    for seq in (4, 4, 3, 5, 3, 2, 2, 5):  # copies, as a broker redelivers them
        await publish(services, actions[seq - 2])
    found = await wait_for(http, services, opened.order_id, lambda d: d["entry_sequence"] == 5)
    await asyncio.sleep(1)  # a copy applied twice would move it once more

    found = await detail(http, services, opened.order_id)
    assert_applied_in_accepted_order(found)


async def test_two_replicas_handling_one_orders_actions_at_once_keep_the_accepted_order(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """Replica A holds action 3 (back) in an open transaction (it parks it) while replica B
    gets action 2 (advance): B waits for A's commit, applies 2, then the parked 3, in its one
    transaction. Applied in arrival order, the back would be refused on the first stage."""
    opened, actions = sequenced(opened_event(chain))
    actions[1] = action(opened, "back", order_seq=3, reason="refazer")
    await publish(services, opened)
    await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "recebido")
    handlers = WorkflowHandlers(create_engine(WorkflowSettings.from_env(services.env)))

    async with workflow_pool(services) as pool:
        first = await pool.acquire()
        second = await pool.acquire()
        try:
            tx_first = first.transaction()
            await tx_first.start()
            await handlers.on_order_action(first, actions[1])  # sequence 3: early

            async def replica_b() -> None:
                async with second.transaction():
                    await handlers.on_order_action(second, actions[0])  # sequence 2

            racing = asyncio.create_task(replica_b())
            await asyncio.sleep(0.5)
            assert not racing.done()  # B waits for A's transaction on the order
            await tx_first.commit()
            await asyncio.wait_for(racing, timeout=10)
        finally:
            await pool.release(first)
            await pool.release(second)

    found = await detail(http, services, opened.order_id)
    assert "action_refused" not in [t["kind"] for t in found["timeline"]]
    entered = [t["detail"]["stage"] for t in found["timeline"] if t["kind"] == "stage_entered"]
    assert entered == ["recebido", "producao", "recebido"]
    assert (found["stage_key"], found["entry_sequence"]) == ("recebido", 3)


async def _at_least(items: list[dict[str, Any]], count: int) -> list[dict[str, Any]] | None:
    return items if len(items) >= count else None
