"""The dispatcher's rules on the real database, sending over real HTTP to the fake provider."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time

import pytest

from etapa_contracts.events import BranchUpserted
from notifier.adapters.providers.http import HttpWebhookProvider
from notifier.entrypoints.loops import DispatcherLoop
from tests.integration.notifier.conftest import World, window

pytestmark = pytest.mark.integration


async def test_message_is_rendered_sent_once_with_its_key_and_recorded(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    await world.enter_stage(order)  # a replayed stage change records nothing new
    assert await world.dispatcher().dispatch_once() == 1
    assert await world.dispatcher().dispatch_once() == 0

    [request] = world.fake.requests
    key = f"{order.order_id}:1"
    assert request.headers["idempotency-key"] == key
    assert request.body["idempotency_key"] == key
    assert request.body["to"] == "+5511987654321"
    assert request.text == (
        f"Olá Maria! Sua OS {order.number} está em Montagem na Visão Clara Paulista. "
        "Previsão: 01/12/2026."
    )
    message = await world.message(order)
    assert message["status"] == "sent"
    assert message["provider"] == "http"
    assert message["provider_message_id"] == world.fake.deliveries[key]
    assert (message["encoding"], message["segments"]) == ("UCS-2", 2)
    assert await world.published(order) == [("sent", None)]


async def test_long_messages_are_cut_to_the_segment_limit(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order, template="Ola {nome}, " + "sua OS esta quase pronta. " * 30)
    await world.dispatcher(max_segments=1).dispatch_once()
    message = await world.message(order)
    assert (message["encoding"], message["segments"]) == ("GSM-7", 1)
    assert message["body"].endswith("...")
    assert len(message["body"]) <= 160
    assert world.fake.requests[0].text == message["body"]


async def test_an_invalid_template_fails_and_nothing_reaches_the_customer(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order, template="Olá {nome}, sua OS {numero} chegou")
    await world.dispatcher().dispatch_once()
    message = await world.message(order)
    assert message["status"] == "failed"
    assert "placeholder desconhecido {numero}" in message["status_reason"]
    assert world.fake.requests == []
    assert [s for s, _ in await world.published(order)] == ["failed"]


async def test_no_consent_is_suppressed_without_a_request(world: World) -> None:
    order = await world.open_order(consent=False)
    await world.enter_stage(order)
    await world.dispatcher().dispatch_once()
    message = await world.message(order)
    assert (message["status"], message["status_reason"]) == (
        "suppressed",
        "cliente sem consentimento para SMS",
    )
    assert world.fake.requests == []


async def test_an_opted_out_number_is_suppressed(world: World) -> None:
    order = await world.open_order()
    await world.pool.execute(
        "INSERT INTO opt_outs (phone, opted_out_at, source) VALUES ($1, now(), 'reply')",
        order.phone,
    )
    await world.enter_stage(order)
    await world.dispatcher().dispatch_once()
    assert (await world.message(order))["status"] == "suppressed"
    assert world.fake.requests == []


async def test_transient_errors_are_retried_in_the_round_with_the_same_key(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    world.fake.fail_next(1, 503)
    await world.dispatcher(send_tries=3).dispatch_once()
    assert [r.status for r in world.fake.requests] == [503, 200]
    assert {r.key for r in world.fake.requests} == {f"{order.order_id}:1"}
    assert (await world.message(order))["status"] == "sent"


async def test_failed_rounds_back_off_in_the_database_then_fail_for_good(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    world.fake.fail_next(100, 500)
    dispatcher = world.dispatcher(send_tries=2, max_attempts=3, retry_base_delay=10)
    await dispatcher.dispatch_once()
    first = await world.message(order)
    assert (first["status"], first["attempts"]) == ("pending", 1)
    assert 5 <= (first["next_attempt_at"] - world.clock()).total_seconds() <= 10
    assert await dispatcher.dispatch_once() == 0  # not due yet
    world.clock.advance(seconds=11)
    await dispatcher.dispatch_once()
    second = await world.message(order)
    assert 10 <= (second["next_attempt_at"] - world.clock()).total_seconds() <= 20
    world.clock.advance(seconds=21)
    await dispatcher.dispatch_once()
    last = await world.message(order)
    assert last["status"] == "failed"
    assert last["status_reason"].startswith("3 rodadas de envio falharam")
    assert len(world.fake.requests) == 6  # 3 rounds x 2 requests
    assert [s for s, _ in await world.published(order)] == ["failed"]


async def test_a_permanent_refusal_fails_at_once(world: World) -> None:
    order = await world.open_order(phone="+5511900000000")
    world.fake.refuse_numbers.add("+5511900000000")
    await world.enter_stage(order)
    await world.dispatcher(send_tries=3).dispatch_once()
    message = await world.message(order)
    assert message["status"] == "failed"
    assert "HTTP 400" in message["status_reason"]
    assert "número inválido" in message["status_reason"]
    assert len(world.fake.requests) == 1


async def test_the_fallback_takes_over_after_failed_rounds_on_the_primary(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    down = HttpWebhookProvider("http://127.0.0.1:9/sms", timeout=0.5)  # nothing listens
    down.name = "http-primario"
    dispatcher = world.dispatcher(
        primary=down, fallback=world.http_provider(), fallback_after=1, send_tries=1
    )
    await dispatcher.dispatch_once()
    assert (await world.message(order))["provider"] == "http-primario"
    assert world.fake.requests == []
    world.clock.advance(seconds=60)
    await dispatcher.dispatch_once()
    message = await world.message(order)
    assert (message["status"], message["provider"]) == ("sent", "http")
    assert [r.key for r in world.fake.requests] == [f"{order.order_id}:1"]


async def test_outside_the_window_the_message_is_held_then_sent(world: World) -> None:
    world.clock.now = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # Tuesday 20:30 in São Paulo
    order = await world.open_order()
    await world.enter_stage(order)
    dispatcher = world.dispatcher()
    await dispatcher.dispatch_once()
    held = await world.message(order)
    assert held["status"] == "held"
    assert held["send_after"] == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    assert held["attempts"] == 0
    assert await world.published(order) == [
        ("held", "fora do horário de envio da filial; envio em 25/11/2026 às 08:00")
    ]
    world.clock.advance(hours=11)  # 07:30 local: still closed, nothing happens
    assert await dispatcher.dispatch_once() == 0
    world.clock.advance(minutes=31)
    await dispatcher.dispatch_once()
    assert (await world.message(order))["status"] == "sent"
    assert [s for s, _ in await world.published(order)] == ["held", "sent"]
    assert len(world.fake.requests) == 1


async def test_a_held_message_goes_out_when_the_manager_widens_the_window(world: World) -> None:
    world.clock.now = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # Tuesday 20:30 in São Paulo
    chain_id, branch = await world.branch()
    order = await world.open_order(chain_and_branch=(chain_id, branch))
    await world.enter_stage(order)
    dispatcher = world.dispatcher()
    await dispatcher.dispatch_once()
    assert (await world.message(order))["status"] == "held"  # until 08:00 tomorrow
    world.clock.advance(minutes=5)
    widened = BranchUpserted(
        occurred_at=world.clock(),
        correlation_id="t",
        chain_id=chain_id,
        branch=branch,
        sending_window=window(time(8), time(23, 59)),
    )
    async with world.pool.acquire() as conn:
        await world.handlers.on_branch_upserted(conn, widened)
    await dispatcher.dispatch_once()
    assert (await world.message(order))["status"] == "sent"  # before: held until 08:00
    assert [s for s, _ in await world.published(order)] == ["held", "sent"]


async def test_branch_window_and_state_holidays_come_from_branch_upserted(world: World) -> None:
    # Thursday 09/07/2026 10:00 in São Paulo: Revolução Constitucionalista, an SP holiday.
    world.clock.now = datetime(2026, 7, 9, 13, 0, tzinfo=UTC)
    sp = await world.open_order(
        chain_and_branch=await world.branch(window=window(time(9), time(18)))
    )
    rj = await world.open_order(chain_and_branch=await world.branch(state="RJ"))
    await world.enter_stage(sp)
    await world.enter_stage(rj)
    await world.dispatcher().dispatch_once()
    assert (await world.message(rj))["status"] == "sent"
    held = await world.message(sp)
    assert held["status"] == "held"
    assert held["send_after"] == datetime(2026, 7, 10, 12, 0, tzinfo=UTC)  # Friday 09:00


async def test_a_held_message_is_dropped_when_the_order_moved_on(world: World) -> None:
    world.clock.now = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    moved = await world.open_order()
    closed = await world.open_order(phone="+5511911112222")
    await world.enter_stage(moved)
    await world.enter_stage(closed)
    await world.dispatcher().dispatch_once()
    waiting = await world.open_order(phone="+5511933334444")
    await world.enter_stage(waiting)
    await world.dispatcher().dispatch_once()
    await world.enter_stage(moved, entry_sequence=2, template=None)  # a stage with no SMS
    await world.close_order(closed)
    # staff read beforehand what the dispatcher will do when the sending hours open
    assert await world.not_sent_reasons(moved, closed, waiting) == [
        "a OS já passou desta etapa antes do horário de envio",
        "a OS foi encerrada antes do horário de envio",
        None,
    ]
    world.clock.advance(hours=12)
    await world.dispatcher().dispatch_once()
    assert await world.published(moved) == [
        ("held", "fora do horário de envio da filial; envio em 25/11/2026 às 08:00"),
        ("suppressed", "a OS já passou desta etapa antes do horário de envio"),
    ]
    assert (await world.published(closed))[-1] == (
        "suppressed",
        "a OS foi encerrada antes do horário de envio",
    )
    assert (await world.message(waiting))["status"] == "sent"  # the one that still would
    assert len(world.fake.requests) == 1


async def test_back_then_advance_does_not_text_the_same_stage_twice(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order, 1, stage_key="montagem")
    await world.dispatcher().dispatch_once()
    await world.enter_stage(order, 2, template=None, stage_key="conferencia")  # back
    await world.enter_stage(order, 3, stage_key="montagem")  # and forward again

    assert await world.dispatcher().dispatch_once() == 0
    again = await world.message(order, 3)
    assert again["status"] == "suppressed"
    reason = (
        "o cliente já recebeu a mensagem da etapa “Montagem” nesta OS; "
        "a etapa não reenvia ao voltar a ela"
    )
    assert again["status_reason"] == reason
    assert await world.published(order) == [("sent", None), ("suppressed", reason)]
    assert len(world.fake.requests) == 1


async def test_a_stage_change_that_arrives_after_the_next_is_not_texted_after_it(
    world: World,
) -> None:
    """Entry 3 reached the notifier, and its SMS went out, before entry 2 (a publish the broker
    refused and the relay sent again later, or two notifier replicas): entry 2's older news is
    suppressed with the reason, and the customer gets one SMS."""
    order = await world.open_order()
    await world.enter_stage(order, 3, stage_key="pronto")
    assert await world.dispatcher().dispatch_once() == 1
    await world.enter_stage(order, 2, stage_key="montagem")  # late
    other = await world.open_order(phone="+5511911112222")  # an earlier entry goes on as ever
    await world.enter_stage(other, 1, stage_key="montagem")
    await world.enter_stage(other, 2, stage_key="pronto")

    assert await world.dispatcher().dispatch_once() == 3  # one suppressed, two sent
    late = await world.message(order, 2)
    reason = "o cliente já recebeu o SMS de uma etapa seguinte desta OS"
    assert (late["status"], late["status_reason"]) == ("suppressed", reason)
    assert await world.published(order) == [("sent", None), ("suppressed", reason)]
    assert [(await world.message(other, n))["status"] for n in (1, 2)] == ["sent", "sent"]
    assert len(world.fake.requests) == 3


async def test_a_stage_that_sends_again_on_reentry_does(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order, 1, stage_key="montagem")
    await world.dispatcher().dispatch_once()
    await world.enter_stage(order, 3, stage_key="montagem", sms_on_reentry=True)

    assert await world.dispatcher().dispatch_once() == 1
    assert len(world.fake.requests) == 2


async def test_concurrent_dispatchers_send_each_message_exactly_once(world: World) -> None:
    world.fake.latency = 0.02
    orders = [await world.open_order(phone=f"+55119{n:08d}") for n in range(60)]
    for order in orders:
        await world.enter_stage(order)
    dispatchers = [world.dispatcher(batch_size=7) for _ in range(4)]

    async def drain(dispatcher: DispatcherLoop) -> None:
        while await dispatcher.dispatch_once():
            pass

    await asyncio.gather(*(drain(d) for d in dispatchers))
    keys = [r.key for r in world.fake.requests]
    assert len(keys) == 60
    assert len(set(keys)) == 60
    statuses = await world.pool.fetch("SELECT status, count(*) FROM messages GROUP BY status")
    assert [tuple(r) for r in statuses] == [("sent", 60)]
