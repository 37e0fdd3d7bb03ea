"""An order's events are applied in the order intake accepted them (``order_seq``), whatever
order the broker delivers them in: an early one is parked, never refused or requeued."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest

from etapa_contracts.events import OrderAction, OrderActionKind, OrderOpened
from etapa_contracts.topology import Topology
from shared.messaging import Subscriptions, create_broker
from tests.integration.conftest import SeededChain, order_body
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
from workflow.bootstrap import create_engine
from workflow.config import WorkflowSettings
from workflow.entrypoints.consumers import WorkflowHandlers

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
        action(opened, kind, order_seq=seq, reason="refazer" if kind == "back" else None)
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


async def test_intake_numbers_an_orders_events_and_actions_sent_at_once_apply_in_that_order(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake = f"{services.urls['intake']}/api/v1"
    async with spy(services, "order.opened.v1", "order.action.v1") as seen:
        opened = await http.post(f"{intake}/orders", json=order_body(chain.branch["branch_id"]))
        assert opened.status_code == 201, opened.text
        order_id = opened.json()["order_id"]
        for kind in WORKLOAD:  # at once: the opening may still be on its way to workflow
            body = {"action": kind} | ({"reason": "refazer"} if kind == "back" else {})
            sent = await http.post(f"{intake}/orders/{order_id}/actions", json=body)
            assert sent.status_code == 202, sent.text
        events = await eventually(lambda: _at_least(seen.of(order_id), 5))

    assert [(e["_routing_key"], e["order_seq"]) for e in events] == [
        ("order.opened.v1", 1),
        ("order.action.v1", 2),
        ("order.action.v1", 3),
        ("order.action.v1", 4),
        ("order.action.v1", 5),
    ]
    found = await wait_for(http, services, order_id, lambda d: d["entry_sequence"] == 5)
    assert_applied_in_accepted_order(found)


async def test_twenty_clicks_on_advance_made_on_one_view_move_the_order_one_stage(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake = f"{services.urls['intake']}/api/v1"
    opened = await http.post(f"{intake}/orders", json=order_body(chain.branch["branch_id"]))
    order_id = opened.json()["order_id"]
    seen = await wait_for(http, services, order_id, lambda d: d["stage_key"] == "recebido")

    async def click(n: int) -> int:
        # Half say it in the body, half as If-Match; each click has its own idempotency key.
        version = seen["version"]
        body = {"action": "advance"} | ({"expected_version": version} if n % 2 else {})
        headers = {"Idempotency-Key": f"clique-{order_id}-{n}"} | (
            {} if n % 2 else {"If-Match": f'"{version}"'}
        )
        sent = await http.post(f"{intake}/orders/{order_id}/actions", json=body, headers=headers)
        return sent.status_code

    assert await asyncio.gather(*(click(n) for n in range(20))) == [202] * 20
    found = await wait_for(
        http,
        services,
        order_id,
        lambda d: sum(t["kind"] == "action_refused" for t in d["timeline"]) == 19,
    )
    await asyncio.sleep(0.5)
    found = await detail(http, services, order_id)
    assert (found["stage_key"], found["entry_sequence"]) == ("producao", 2)
    assert found["version"] == seen["version"] + 1
    refusals = {t["summary"] for t in found["timeline"] if t["kind"] == "action_refused"}
    assert refusals == {
        "Ação “avançar” recusada: A OS mudou desde que você a viu; recarregue e tente de novo."
    }

    # Made on the new version, the next click applies; a malformed or disagreeing one is a 400.
    url = f"{intake}/orders/{order_id}/actions"
    fresh = await http.post(
        url, json={"action": "advance"}, headers={"If-Match": f'W/"{found["version"]}"'}
    )
    assert fresh.status_code == 202
    await wait_for(http, services, order_id, lambda d: d["stage_key"] == "pronto")
    bad = await http.post(url, json={"action": "advance"}, headers={"If-Match": "*"})
    assert bad.status_code == 400
    differ = await http.post(
        url, json={"action": "advance", "expected_version": 3}, headers={"If-Match": '"4"'}
    )
    assert differ.status_code == 400


async def test_many_orders_actions_interleaved_and_scrambled_in_batches_apply_in_each_orders_order(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """Workflow applies what its queues deliver in batches (``WORKFLOW_CONSUMER_BATCH``):
    twelve orders' actions, each order's scrambled, all orders' interleaved and sent at once,
    half of them before their order's opening. Every order lands where its accepted order
    leads, with no refusal and nothing dead-lettered."""
    assert WorkflowSettings.from_env(services.env).service.consumer_batch > 1
    orders = [sequenced(opened_event(chain)) for _ in range(12)]
    dead_before = await dead_lettered(services)
    opened_first = orders[6:]
    for opened, _ in opened_first:
        await publish(services, opened)
    for opened, _ in opened_first:
        await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "recebido")

    await asyncio.gather(
        *(publish(services, actions[seq - 2]) for seq in (5, 3, 4, 2) for _, actions in orders)
    )
    await asyncio.gather(*(publish(services, opened) for opened, _ in orders[:6]))
    for opened, _ in orders:
        found = await wait_for(http, services, opened.order_id, lambda d: d["entry_sequence"] == 5)
        assert_applied_in_accepted_order(found)
    await asyncio.sleep(0.5)  # an action applied twice would move an order once more
    for opened, _ in orders:
        assert_applied_in_accepted_order(await detail(http, services, opened.order_id))
    assert await dead_lettered(services) == dead_before


async def test_two_replicas_taking_batches_of_one_queue_keep_every_orders_order(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """A second workflow replica (this test's own broker and pool, batches of 20) consumes the
    same queues as the running workflow, with its consumer priority (so the broker shares the
    messages round-robin): ten orders' actions, scrambled and interleaved, are shared between
    two processes' batches, which take the orders' locks in one order. Every order lands where
    its accepted order leads; nothing is refused or dead-lettered."""
    settings = WorkflowSettings.from_env(services.env)
    handlers = WorkflowHandlers(create_engine(settings))
    replica = create_broker(services.env["ETAPA_AMQP_URL"])
    orders = [sequenced(opened_event(chain)) for _ in range(10)]
    dead_before = await dead_lettered(services)
    async with workflow_pool(services) as pool:
        subscriptions = Subscriptions(
            replica,
            settings.service.topology,
            "workflow",
            pool,
            batch=20,
            priority=int(services.env["WORKFLOW_CONSUMER_PRIORITY"]),  # the running one's
        )
        prepare = handlers.prepare_orders  # as workflow's bootstrap: locks, then rows
        subscriptions.add(OrderOpened, handlers.on_order_opened, prepare_batch=prepare)
        subscriptions.add(OrderAction, handlers.on_order_action, prepare_batch=prepare)
        await replica.start()
        try:
            await asyncio.gather(*(publish(services, opened) for opened, _ in orders[:5]))
            await asyncio.gather(
                *(
                    publish(services, actions[seq - 2])
                    for seq in (3, 5, 2, 4)
                    for _, actions in orders
                )
            )
            await asyncio.gather(*(publish(services, opened) for opened, _ in orders[5:]))
            for opened, _ in orders:
                found = await wait_for(
                    http, services, opened.order_id, lambda d: d["entry_sequence"] == 5
                )
                assert_applied_in_accepted_order(found)
        finally:
            await replica.stop()
    await asyncio.sleep(0.5)
    for opened, _ in orders:
        assert_applied_in_accepted_order(await detail(http, services, opened.order_id))
    assert await dead_lettered(services) == dead_before
