"""The notifier's use cases on the in-memory stores (held to the PostgreSQL contract): the
dispatcher's rules, provider callbacks and opt-outs, in milliseconds."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from notifier.domain import delivery
from notifier.domain.callbacks import InboundReply, StatusReport
from notifier.entrypoints.loops import LOOP_ERRORS
from notifier.usecases.delivery_report import apply_early_reports, apply_report
from notifier.usecases.inbound_reply import handle_reply
from notifier.usecases.opt_outs import (
    Caller,
    CustomersOwnOptOut,
    NotACustomer,
    NotOptedOutByChain,
    add_staff_opt_out,
    list_opt_outs,
    remove_staff_opt_out,
)
from notifier.usecases.ports import AmbiguousSendError, PermanentSendError, TransientSendError
from tests.fakes.notifier_kit import DatabaseDown, MemoryProvider, Notifier


@pytest.fixture
def notifier() -> Notifier:
    return Notifier()


async def test_a_message_in_the_window_is_rendered_sent_and_published(notifier: Notifier) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    assert await notifier.dispatcher().dispatch_once() == 1
    (sms,) = notifier.provider.sent
    assert sms.body == (
        f"Olá Maria! Sua OS {order.number} está em Montagem na Visão Clara Paulista. "
        "Previsão: 01/12/2026."
    )
    assert (sms.to, sms.idempotency_key) == (order.phone, f"{order.order_id}:1")
    message = notifier.message(order)
    assert (message["status"], message["provider_message_id"], message["attempts"]) == (
        "sent",
        "http-1",
        1,
    )
    assert notifier.published(order) == [("sent", None)]
    assert await notifier.dispatcher().dispatch_once() == 0  # once per stage entry


async def test_a_message_waits_for_its_contact(notifier: Notifier) -> None:
    order = await notifier.open_order()
    del notifier.uow.db.contacts[order.order_id]  # the stage change came first
    await notifier.enter_stage(order)
    assert await notifier.dispatcher().dispatch_once() == 0


async def test_at_night_it_is_held_once_then_sent_at_the_opening(notifier: Notifier) -> None:
    order = await notifier.open_order()
    notifier.clock.advance(hours=10)  # 22:00 in São Paulo
    await notifier.enter_stage(order)
    dispatcher = notifier.dispatcher()
    assert await dispatcher.dispatch_once() == 1
    message = notifier.message(order)
    assert (message["status"], message["attempts"]) == ("held", 0)
    assert notifier.published(order) == [
        ("held", "fora do horário de envio da filial; envio em 25/11/2026 às 08:00")
    ]
    assert await dispatcher.dispatch_once() == 0
    notifier.clock.advance(hours=10)  # 08:00
    assert await dispatcher.dispatch_once() == 1
    assert notifier.message(order)["status"] == "sent"
    assert [status for status, _ in notifier.published(order)] == ["held", "sent"]


async def test_a_held_message_whose_order_closed_is_dropped_at_the_opening(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    notifier.clock.advance(hours=10)
    await notifier.enter_stage(order)
    await notifier.dispatcher().dispatch_once()
    await notifier.close(order)
    notifier.clock.advance(hours=10)
    await notifier.dispatcher().dispatch_once()
    assert notifier.provider.sent == []
    assert notifier.published(order)[-1] == (
        "suppressed",
        "a OS foi encerrada antes do horário de envio",
    )


async def test_no_consent_suppresses_and_another_chains_contact_fails(notifier: Notifier) -> None:
    no_consent = await notifier.open_order(consent=False)
    await notifier.enter_stage(no_consent)
    odd = await notifier.open_order(phone="+5511911112222")
    contact = notifier.uow.db.contacts[odd.order_id]
    notifier.uow.db.contacts[odd.order_id] = replace(contact, chain_id=no_consent.chain_id)
    await notifier.enter_stage(odd)
    await notifier.dispatcher().dispatch_once()
    assert notifier.published(no_consent) == [("suppressed", "cliente sem consentimento para SMS")]
    assert notifier.published(odd) == [("failed", "o contato da OS pertence a outra rede")]
    assert notifier.provider.sent == []


async def test_an_invalid_template_fails_without_sending(notifier: Notifier) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order, template="Olá {nome")
    await notifier.dispatcher().dispatch_once()
    ((status, reason),) = notifier.published(order)
    assert status == "failed"
    assert reason is not None
    assert reason.startswith("modelo inválido")
    assert notifier.provider.sent == []


async def test_a_stage_the_customer_already_got_is_suppressed_on_reentry(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order, 1, stage_key="pronto")
    await notifier.enter_stage(order, 2, stage_key="pronto")
    await notifier.enter_stage(order, 3, stage_key="pronto", sms_on_reentry=True)
    assert notifier.message(order, 2)["status"] == "suppressed"
    assert notifier.message(order, 3)["status"] == "pending"
    ((status, reason),) = notifier.published(order)
    assert status == "suppressed"
    assert reason is not None
    assert "já recebeu a mensagem da etapa" in reason


async def test_a_transient_failure_is_retried_in_later_rounds_then_fails(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    notifier.provider.failures = [TransientSendError("http: HTTP 503")] * 3
    dispatcher = notifier.dispatcher(max_attempts=3, retry_base_delay=10.0, jitter=1.0)
    await dispatcher.dispatch_once()
    message = notifier.message(order)
    assert (message["status"], message["status_reason"]) == (
        "pending",
        "rodada 1 falhou (http): http: HTTP 503",
    )
    assert message["next_attempt_at"] == notifier.clock.now + timedelta(seconds=10)
    assert await dispatcher.dispatch_once() == 0  # not due yet
    notifier.clock.advance(seconds=10)
    await dispatcher.dispatch_once()
    notifier.clock.advance(seconds=20)
    await dispatcher.dispatch_once()
    assert notifier.published(order) == [
        ("failed", "3 rodadas de envio falharam; última: http: HTTP 503")
    ]


async def test_the_fallback_provider_takes_over_after_the_primarys_rounds(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    notifier.provider.failures = [TransientSendError("down")] * 2
    fallback = MemoryProvider(name="zenvia", supports_idempotency=False)
    dispatcher = notifier.dispatcher(fallback=fallback, fallback_after=2, retry_base_delay=1.0)
    for _ in range(3):
        await dispatcher.dispatch_once()
        notifier.clock.advance(seconds=10)
    assert [sms.idempotency_key for sms in fallback.sent] == [f"{order.order_id}:1"]
    assert notifier.message(order)["provider"] == "zenvia"


async def test_a_permanent_refusal_fails_at_once(notifier: Notifier) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    notifier.provider.failures = [PermanentSendError("http: HTTP 400: número inválido")]
    await notifier.dispatcher().dispatch_once()
    assert notifier.published(order) == [("failed", "http: HTTP 400: número inválido")]
    message = notifier.message(order)
    assert (message["provider"], message["encoding"], message["segments"]) == ("http", "UCS-2", 2)


async def test_no_answer_from_a_provider_without_keys_fails_for_a_person_to_check(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    notifier.provider.supports_idempotency = False
    notifier.provider.failures = [AmbiguousSendError("http: sem resposta em 10 s")]
    await notifier.dispatcher().dispatch_once()
    ((status, reason),) = notifier.published(order)
    assert status == "failed"
    assert reason == (
        "http: sem resposta em 10 s; o SMS pode ter sido enviado: confira no provedor antes de "
        "reenviar"
    )


async def test_an_accept_is_recorded_through_a_database_outage_and_never_resent(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    dispatcher = notifier.dispatcher()
    claimed = await dispatcher.dispatch.claim(10)
    notifier.uow.fail_next = [DatabaseDown("connection refused"), DatabaseDown("again")]
    await dispatcher.handle(claimed[0])
    assert notifier.uow.fail_next == []
    assert len(notifier.provider.sent) == 1
    assert notifier.message(order)["status"] == "sent"
    assert notifier.published(order) == [("sent", None)]


async def test_an_accept_whose_write_failed_is_recorded_at_the_next_claim(
    notifier: Notifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past the tries in place (none here): the receipt stays kept for this process's next claim.
    monkeypatch.setattr(delivery, "SENT_WRITE_MAX_FAILURES", 0)
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    dispatcher = notifier.dispatcher()
    (claim,) = await dispatcher.dispatch.claim(10)
    notifier.uow.fail_next = [RuntimeError("not an outage")]
    await dispatcher.handle(claim)  # logged and counted; the message keeps its lease
    assert notifier.message(order)["status"] == "sending"
    notifier.clock.advance(seconds=dispatcher.dispatch.policy.lease_seconds + 1)
    assert await dispatcher.dispatch_once() == 1
    assert len(notifier.provider.sent) == 1
    message = notifier.message(order)
    assert (message["status"], message["attempts"]) == ("sent", 2)


async def test_the_dispatcher_survives_a_bad_time_zone_and_sends_the_others(
    notifier: Notifier,
) -> None:
    """Issue 12's bug: an error outside the database's (``ZoneInfo`` on a bad zone, a
    ``KeyError``) must stay with its message, and the loop must go on."""
    bad = await notifier.open_order(phone="+5511911110001")
    good = await notifier.open_order(phone="+5511911110002")
    branch = notifier.uow.db.branches[bad.branch.branch_id]
    notifier.uow.db.branches[bad.branch.branch_id] = replace(branch, timezone="Mars/Olympus")
    await notifier.enter_stage(bad)
    await notifier.enter_stage(good)
    errors = LOOP_ERRORS.labels(loop="dispatcher", scope="message")
    before = errors._value.get()
    task = asyncio.create_task(notifier.dispatcher().run())
    for _ in range(200):
        if notifier.provider.sent:
            break
        await asyncio.sleep(0.01)
    assert not task.done()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [sms.to for sms in notifier.provider.sent] == [good.phone]
    assert notifier.message(bad)["status"] == "sending"  # its lease runs out; claimed again
    assert errors._value.get() == before + 1


async def test_a_reply_opts_out_everywhere_and_voltar_lifts_only_the_customers_own(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    now = notifier.clock()
    reply = InboundReply(phone="5511987654321", text=" Páre!! ")
    assert await handle_reply(notifier.uow, "zenvia", reply, now) == "opt_out"
    assert notifier.published(order) == [
        ("suppressed", "o número pediu para não receber SMS (respondeu PARE)")
    ]
    assert await handle_reply(notifier.uow, "zenvia", InboundReply(order.phone, "ok"), now) == (
        "ignored"
    )
    assert await handle_reply(notifier.uow, "zenvia", None, now) == "ignored"
    caller = Caller(order.chain_id, None)
    await add_staff_opt_out(notifier.uow, caller, order.phone, now)
    assert await handle_reply(notifier.uow, "http", InboundReply(order.phone, "VOLTAR"), now) == (
        "opt_in"
    )
    (left,) = await list_opt_outs(notifier.uow, caller, None, 10, 0)
    assert (left.source, left.set_by_this_chain) == ("staff", True)


async def test_staff_opt_out_only_their_customers_and_lift_only_their_own(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    now = notifier.clock()
    caller = Caller(order.chain_id, None)
    stranger = Caller(order.chain_id, frozenset({order.chain_id}))  # a branch not the order's
    with pytest.raises(NotACustomer):
        await add_staff_opt_out(notifier.uow, stranger, order.phone, now)
    with pytest.raises(NotOptedOutByChain):
        await remove_staff_opt_out(notifier.uow, caller, order.phone)
    kept, created = await add_staff_opt_out(notifier.uow, caller, order.phone, now)
    assert (created, kept.source, kept.opted_out_at) == (True, "staff", now)
    assert notifier.published(order) == [("suppressed", "o número foi descadastrado pela equipe")]
    _, again = await add_staff_opt_out(notifier.uow, caller, order.phone, now)
    assert again is False
    await remove_staff_opt_out(notifier.uow, caller, order.phone)
    await handle_reply(notifier.uow, "http", InboundReply(order.phone, "PARE"), now)
    with pytest.raises(CustomersOwnOptOut):
        await remove_staff_opt_out(notifier.uow, caller, order.phone)


async def test_delivery_reports_apply_to_sent_messages_only(notifier: Notifier) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    await notifier.dispatcher().dispatch_once()
    now = notifier.clock()
    uow = notifier.uow
    assert await apply_report(uow, "http", StatusReport("http-1", None), now) == "unchanged"
    assert await apply_report(uow, "http", StatusReport("nope", "delivered"), now) == "kept"
    assert await apply_report(uow, "http", StatusReport("http-1", "delivered"), now) == "applied"
    assert await apply_report(uow, "http", StatusReport("http-1", "failed"), now) == "unchanged"
    assert notifier.published(order) == [("sent", None), ("delivered", None)]


async def test_a_report_before_the_sent_write_is_kept_and_applied_once_sent(
    notifier: Notifier,
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    uow, now = notifier.uow, notifier.clock()
    early = StatusReport("http-1", "failed", "número inexistente")
    assert await apply_report(uow, "http", early, now) == "kept"
    assert not await apply_early_reports(uow, now)
    assert notifier.published(order) == []  # nothing applied while the message is not sent
    await notifier.dispatcher().dispatch_once()  # the provider's answer: http-1
    assert notifier.published(order) == [("sent", None)]
    assert not await apply_early_reports(uow, now)
    assert notifier.published(order) == [("sent", None), ("failed", "número inexistente")]
    assert not await apply_early_reports(uow, now)  # applied once
    assert notifier.published(order) == [("sent", None), ("failed", "número inexistente")]
