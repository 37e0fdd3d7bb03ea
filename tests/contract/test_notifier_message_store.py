"""Contract of the notifier's MessageStore: the fake and PostgreSQL keep messages the same way."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from etapa_contracts.events import NotificationStatus
from notifier.usecases.records import (
    ClaimedMessage,
    EarlyReport,
    MessageQuery,
    OptOut,
    Outcome,
    SmsSettings,
)
from notifier.usecases.status_events import status_event
from tests.contract import notifier_stores
from tests.contract.notifier_stores import (
    LATER,
    LEASE,
    T0,
    Backend,
    branch,
    contact,
    message,
    recorded,
)

backend = notifier_stores.backend


async def _status(backend: Backend, chain_id: uuid.UUID) -> list[tuple[int, str]]:
    found = await backend.stores.messages.for_staff(MessageQuery(chain_id, None, limit=50))
    return sorted((m.entry_sequence, m.status) for m in found)


async def test_a_stage_entry_has_one_message_born_pending_or_suppressed(backend: Backend) -> None:
    of = contact()
    messages = backend.stores.messages
    first = message(of, 1)
    assert await messages.add(first)
    assert not await messages.add(message(of, 1))  # the send key is taken
    assert await messages.add(message(of, 2, suppressed_reason="já recebeu"))
    assert await _status(backend, of.chain_id) == [(1, "pending"), (2, "suppressed")]
    # only entries on their way or gone count for a stage already sent
    assert await messages.first_entry_on_its_way(of.order_id, "etapa1", 5) == 1
    assert await messages.first_entry_on_its_way(of.order_id, "etapa1", 1) is None
    assert await messages.first_entry_on_its_way(of.order_id, "etapa2", 5) is None


async def test_claims_take_due_messages_with_a_known_contact_oldest_first(
    backend: Backend,
) -> None:
    messages = backend.stores.messages
    of = contact()
    await backend.stores.consent.keep_contact(of)
    later = message(of, 2, due=T0 - timedelta(minutes=1))
    earlier = message(of, 1, due=T0 - timedelta(minutes=2))
    future = message(of, 3, due=T0 + timedelta(hours=1))
    no_contact = message(contact(), 1)  # waits until order.opened brings its contact
    for new in (later, earlier, future, no_contact):
        assert await messages.add(new)

    (first,) = await messages.claim_due(1, T0, LEASE)
    assert first.key.notification_id == earlier.notification_id  # oldest due first
    claimed = await messages.claim_due(10, T0, LEASE)
    assert [c.key.notification_id for c in claimed] == [later.notification_id]
    assert (claimed[0].attempts, claimed[0].previous_status) == (1, "pending")
    assert claimed[0].locked_until == T0 + timedelta(seconds=LEASE)
    # A live lease is not claimed again; an expired one is, as "sending", one attempt more.
    assert await messages.claim_due(10, T0 + timedelta(seconds=1), LEASE) == []
    again = await messages.claim_due(10, T0 + LATER, LEASE)
    assert sorted((c.key.entry_sequence, c.attempts) for c in again) == [(1, 2), (2, 2)]
    assert {c.previous_status for c in again} == {"sending"}


async def test_a_claim_carries_consent_opt_outs_window_progress_and_options(
    backend: Backend,
) -> None:
    stores = backend.stores
    of = contact(consent=False)
    await recorded(backend, of)
    await stores.settings.keep_branch(branch(of))
    await stores.progress.note_entry(of.chain_id, of.order_id, 3)
    await stores.progress.note_closed(of.chain_id, of.order_id, T0, "delivered")
    await stores.settings.save_sms_settings(SmsSettings(of.chain_id, True, T0, "admin"))
    await stores.consent.add_opt_out(OptOut(of.phone, T0, "staff", set_by_chain=uuid.uuid4()))

    (claim,) = await stores.messages.claim_due(10, T0, LEASE)
    assert (claim.contact_chain_id, claim.contact_phone, claim.sms_consent) == (
        of.chain_id,
        of.phone,
        False,
    )
    assert claim.opted_out_by is None  # another chain's staff opt-out is not this chain's
    assert (claim.timezone, claim.state) == ("America/Sao_Paulo", "SP")
    assert claim.window == notifier_stores.NINE_TO_SIX_MON_TO_WED
    assert (claim.latest_entry_sequence, claim.order_closed, claim.transliterate) == (3, True, True)
    assert claim.send_key == f"{of.order_id}:1"


async def test_a_claim_says_whether_a_later_entry_of_its_order_was_sent(backend: Backend) -> None:
    messages = backend.stores.messages
    of, other = contact(), contact()
    for who in (of, other):
        await backend.stores.consent.keep_contact(who)
    on_its_way = message(other, 4, due=T0 - timedelta(minutes=1))
    for new in (message(of, 1), message(of, 2), message(of, 3), message(other, 1), on_its_way):
        assert await messages.add(new)
    (sending,) = await messages.claim_due(1, T0, LEASE)  # other's entry 4, leased: "sending"
    assert sending.key.notification_id == on_its_way.notification_id
    claimed = {
        (c.key.order_id, c.key.entry_sequence): c for c in await messages.claim_due(9, T0, LEASE)
    }
    # nothing sent yet: a later entry on its way ("sending") does not count
    assert {key: c.later_stage_sent for key, c in claimed.items()} == {
        (of.order_id, 1): False,
        (of.order_id, 2): False,
        (of.order_id, 3): False,
        (other.order_id, 1): False,
    }
    sent = Outcome("sent", of.phone, body="Olá", provider="http", provider_message_id="p-3")
    third = claimed.pop((of.order_id, 3))
    assert await messages.finish(third, sent, T0, accepted=True, event=_status_of(third, sent))
    for claim in claimed.values():
        assert await messages.retry_later(claim, "http", "x", T0, T0)
    again = {
        (c.key.order_id, c.key.entry_sequence): c.later_stage_sent
        for c in await messages.claim_due(9, T0, LEASE)
    }
    # entry 3 of one order went out: its entries 1 and 2 say so; the other order's does not
    assert again == {(of.order_id, 1): True, (of.order_id, 2): True, (other.order_id, 1): False}


async def test_a_claim_names_the_customers_own_opt_out_before_the_chains(
    backend: Backend,
) -> None:
    stores = backend.stores
    of = contact()
    await recorded(backend, of)
    await stores.consent.add_opt_out(OptOut(of.phone, T0, "staff", set_by_chain=of.chain_id))
    await stores.consent.add_opt_out(OptOut(of.phone, T0, "reply", keyword="PARE"))
    (claim,) = await stores.messages.claim_due(10, T0, LEASE)
    assert claim.opted_out_by == "reply"
    assert (claim.timezone, claim.window, claim.latest_entry_sequence) == (None, None, None)
    assert claim.transliterate is False


async def test_hold_gives_the_attempt_back_and_the_opening_claims_it_again(
    backend: Backend,
) -> None:
    messages = backend.stores.messages
    await recorded(backend, contact())
    (claim,) = await messages.claim_due(10, T0, LEASE)
    opening = T0 + timedelta(hours=8)
    assert await messages.hold(claim, opening, "fora do horário", T0)
    assert not await messages.hold(claim, opening, "again", T0)  # the lease is gone
    assert await messages.claim_due(10, opening - timedelta(seconds=1), LEASE) == []
    (reclaimed,) = await messages.claim_due(10, opening, LEASE)
    assert (reclaimed.previous_status, reclaimed.attempts) == ("held", 1)
    assert reclaimed.send_after == opening


async def test_a_branchs_held_messages_are_due_again_when_its_window_changes(
    backend: Backend,
) -> None:
    messages = backend.stores.messages
    of = contact()
    await recorded(backend, of)
    (claim,) = await messages.claim_due(10, T0, LEASE)
    assert await messages.hold(claim, T0 + timedelta(hours=8), "fora do horário", T0)
    changed = T0 + timedelta(minutes=5)
    assert await messages.due_again_for_branch(uuid.uuid4(), changed) == 0  # another branch
    assert await messages.claim_due(10, changed, LEASE) == []
    assert await messages.due_again_for_branch(of.branch_id, changed) == 1
    (again,) = await messages.claim_due(10, changed, LEASE)  # before: only at T0 + 8 h
    assert again.previous_status == "held"
    assert await messages.due_again_for_branch(of.branch_id, changed) == 0  # claimed, not held


async def test_a_renewed_lease_keeps_the_claim_and_a_lost_claim_says_when_it_began(
    backend: Backend,
) -> None:
    messages = backend.stores.messages
    await recorded(backend, contact())
    (claim,) = await messages.claim_due(10, T0, LEASE)
    assert claim.lost_claim_at is None  # claimed from pending
    halfway = T0 + timedelta(seconds=LEASE / 2)
    renewed = await messages.renew_lease(claim, halfway, LEASE)
    assert renewed == halfway + timedelta(seconds=LEASE)
    # past the first lease, before the renewed one: nothing to claim
    assert await messages.claim_due(10, T0 + timedelta(seconds=LEASE + 1), LEASE) == []
    assert await messages.renew_lease(claim, halfway, LEASE) is None  # the old token is stale
    assert renewed is not None
    (lost,) = await messages.claim_due(10, renewed + timedelta(seconds=1), LEASE)
    assert (lost.previous_status, lost.attempts) == ("sending", 2)
    assert lost.lost_claim_at == T0  # when the lost attempt began, renewals aside
    assert await messages.renew_lease(replace(claim, locked_until=renewed), T0, LEASE) is None


async def test_retry_later_puts_it_back_pending_until_due(backend: Backend) -> None:
    messages = backend.stores.messages
    await recorded(backend, contact())
    (claim,) = await messages.claim_due(10, T0, LEASE)
    due = T0 + timedelta(minutes=1)
    assert await messages.retry_later(claim, "http", "rodada 1 falhou", T0, due)
    assert not await messages.retry_later(claim, "http", "again", T0, due)
    assert await messages.claim_due(10, T0 + timedelta(seconds=59), LEASE) == []
    (again,) = await messages.claim_due(10, due, LEASE)
    assert (again.previous_status, again.attempts) == ("pending", 2)


async def test_finish_needs_the_lease_unless_the_provider_accepted(backend: Backend) -> None:
    messages = backend.stores.messages
    of = contact()
    await recorded(backend, of)
    (first,) = await messages.claim_due(10, T0, LEASE)
    (second,) = await messages.claim_due(10, T0 + LATER, LEASE)  # the first lease ran out
    failed = Outcome("failed", of.phone, "recusado")
    assert not await messages.finish(
        first, failed, T0 + LATER, accepted=False, event=_status_of(first, failed)
    )
    assert await messages.retry_later(second, "http", "x", T0 + LATER, T0 + LATER * 2)
    sent = Outcome(
        "sent",
        of.phone,
        body="Olá",
        provider="http",
        provider_message_id="p-1",
        encoding="GSM-7",
        segments=1,
    )
    # the first claim's accept lands although the message went back to pending
    assert await messages.finish(
        first, sent, T0 + LATER, accepted=True, event=_status_of(first, sent)
    )
    assert not await messages.finish(  # final now
        first, sent, T0 + LATER, accepted=True, event=_status_of(first, sent)
    )
    assert await backend.published() == [("sent", None)]  # with the write that landed only
    (shown,) = await messages.for_staff(MessageQuery(of.chain_id, None))
    assert (shown.status, shown.body, shown.provider, shown.encoding, shown.segments) == (
        "sent",
        "Olá",
        "http",
        "GSM-7",
        1,
    )
    assert shown.sent_at == T0 + LATER
    assert shown.shown_phone == of.phone


async def test_an_opt_out_suppresses_waiting_messages_of_its_scope(backend: Backend) -> None:
    stores = backend.stores
    phone = "+5511911112222"
    ours, theirs = contact(phone=phone), contact(phone=phone)
    await recorded(backend, ours)
    await recorded(backend, theirs)
    other_number = contact()
    await recorded(backend, other_number)
    changed = await stores.messages.suppress_waiting(phone, "equipe", T0, ours.chain_id)
    assert [key.order_id for key in changed] == [ours.order_id]
    everywhere = await stores.messages.suppress_waiting(phone, "PARE", T0, None)
    assert [key.order_id for key in everywhere] == [theirs.order_id]
    assert await _status(backend, other_number.chain_id) == [(1, "pending")]


async def test_delivery_reports_move_only_sent_messages(backend: Backend) -> None:
    messages = backend.stores.messages
    of = contact()
    await recorded(backend, of)
    (claim,) = await messages.claim_due(10, T0, LEASE)
    assert await messages.apply_report("http", "p-1", "delivered", None, T0) is None
    assert not await messages.knows("http", "p-1")
    sent = Outcome("sent", of.phone, provider="http", provider_message_id="p-1")
    assert await messages.finish(claim, sent, T0, accepted=True, event=_status_of(claim, sent))
    assert await messages.knows("http", "p-1")
    assert not await messages.knows("zenvia", "p-1")
    key = await messages.apply_report("http", "p-1", "failed", "número inválido", T0)
    assert key is not None
    assert key.order_id == of.order_id
    assert await messages.apply_report("http", "p-1", "delivered", None, T0) is None
    (shown,) = await messages.for_staff(MessageQuery(of.chain_id, None))
    assert (shown.status, shown.status_reason) == ("failed", "número inválido")


async def test_an_early_report_is_kept_until_its_message_is_sent(backend: Backend) -> None:
    messages = backend.stores.messages
    of = contact()
    await recorded(backend, of)
    (claim,) = await messages.claim_due(10, T0, LEASE)
    early = EarlyReport("http", "p-1", "delivered", None, T0)
    await messages.keep_early_report(early, T0 - timedelta(days=2))
    await messages.keep_early_report(replace(early, outcome="failed"), T0 - timedelta(days=2))
    assert await messages.early_reports_due(10) == []  # its message is still ``sending``
    sent = Outcome("sent", of.phone, provider="http", provider_message_id="p-1")
    assert await messages.finish(claim, sent, T0, accepted=True, event=_status_of(claim, sent))
    assert await messages.early_reports_due(10) == [early]  # the first report kept wins
    assert await messages.take_early_report(early)
    assert not await messages.take_early_report(early)  # taken once
    assert await messages.early_reports_due(10) == []


async def test_kept_reports_older_than_the_keep_are_dropped_when_one_is_kept(
    backend: Backend,
) -> None:
    messages = backend.stores.messages
    old = EarlyReport("zenvia", "z-old", "failed", "número inexistente", T0 - timedelta(days=3))
    await messages.keep_early_report(old, T0 - timedelta(days=5))
    await messages.keep_early_report(
        EarlyReport("zenvia", "z-new", "delivered", None, T0), T0 - timedelta(days=2)
    )
    assert not await messages.take_early_report(old)  # dropped
    assert await messages.take_early_report(EarlyReport("zenvia", "z-new", "delivered", None, T0))


async def test_staff_see_their_chain_and_branches_with_filters(backend: Backend) -> None:
    messages = backend.stores.messages
    chain = uuid.uuid4()
    here, there = contact(chain), contact(chain, phone="+5521999998888")
    await recorded(backend, here)
    await recorded(backend, there)
    await recorded(backend, contact())  # another chain
    everything = await messages.for_staff(MessageQuery(chain, None))
    assert {m.order_id for m in everything} == {here.order_id, there.order_id}
    mine = await messages.for_staff(MessageQuery(chain, frozenset({here.branch_id})))
    assert [m.order_id for m in mine] == [here.order_id]
    assert [m.shown_phone for m in mine] == [here.phone]  # the contact's until it is sent
    assert await messages.for_staff(MessageQuery(chain, None, status="sent")) == []
    by_order = await messages.for_staff(MessageQuery(chain, None, order_id=there.order_id))
    assert [m.order_id for m in by_order] == [there.order_id]
    assert len(await messages.for_staff(MessageQuery(chain, None, limit=1))) == 1
    assert len(await messages.for_staff(MessageQuery(chain, None, limit=5, offset=1))) == 1


def _status_of(claim: ClaimedMessage, outcome: Outcome) -> NotificationStatus:
    """The status event the dispatcher stores with ``outcome``."""
    return status_event(claim.key, outcome.status, outcome.reason, T0 + LATER)


async def test_staff_read_which_held_messages_will_not_go_out(backend: Backend) -> None:
    """A held message of a stage the order has left, or of an order since closed, is listed
    with the reason the dispatcher will suppress it for; one that will still go out, without."""
    stores = backend.stores
    moved, closed, waiting = contact(), contact(), contact()
    for of in (moved, closed, waiting):
        await recorded(backend, of)
    for claim in await stores.messages.claim_due(10, T0, LEASE):
        assert await stores.messages.hold(claim, T0 + timedelta(hours=8), "fora do horário", T0)
    await stores.progress.note_entry(moved.chain_id, moved.order_id, 2)
    await stores.progress.note_entry(waiting.chain_id, waiting.order_id, 1)
    await stores.progress.note_closed(closed.chain_id, closed.order_id, T0, "delivered")

    reasons = []
    for of in (moved, closed, waiting):
        (shown,) = await stores.messages.for_staff(MessageQuery(of.chain_id, None))
        reasons.append(shown.not_sent_reason)
    assert reasons == [
        "a OS já passou desta etapa antes do horário de envio",
        "a OS foi encerrada antes do horário de envio",
        None,
    ]
