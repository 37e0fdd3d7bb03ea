"""Contract of the notifier's ConsentStore: contacts and opt-outs, the same on both backends."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from notifier.usecases.records import OptOut
from tests.contract import notifier_stores
from tests.contract.notifier_stores import T0, Backend, contact

backend = notifier_stores.backend


async def test_a_contact_is_updated_only_by_newer_news_of_its_own_chain(backend: Backend) -> None:
    consent = backend.stores.consent
    kept = contact(at=T0)
    await consent.keep_contact(kept)
    await consent.keep_contact(replace(kept, phone="+5511900000001", updated_at=T0 - timedelta(1)))
    await consent.keep_contact(replace(kept, chain_id=uuid.uuid4(), updated_at=T0 + timedelta(1)))
    assert await consent.is_customer(kept.phone, kept.chain_id, None)
    assert await consent.contact_chain(kept.order_id) == kept.chain_id
    newer = replace(kept, phone="+5511900000002", sms_consent=False, updated_at=T0 + timedelta(1))
    await consent.keep_contact(newer)
    assert not await consent.is_customer(kept.phone, kept.chain_id, None)
    assert await consent.is_customer(newer.phone, kept.chain_id, frozenset({kept.branch_id}))
    assert not await consent.is_customer(newer.phone, kept.chain_id, frozenset({uuid.uuid4()}))
    assert not await consent.is_customer(newer.phone, uuid.uuid4(), None)
    assert await consent.contact_chain(uuid.uuid4()) is None


async def test_a_remake_gets_the_contact_of_the_order_it_reopens_in_its_chain(
    backend: Backend,
) -> None:
    consent = backend.stores.consent
    original = contact()
    await consent.keep_contact(original)
    remake, stranger = uuid.uuid4(), uuid.uuid4()
    await consent.copy_contact(original.order_id, original.chain_id, remake, "SP01-9", T0)
    await consent.copy_contact(original.order_id, uuid.uuid4(), stranger, "XX-1", T0)
    assert await consent.contact_chain(remake) == original.chain_id
    assert await consent.contact_chain(stranger) is None


async def test_opt_outs_are_kept_once_per_kind_and_lifted_per_kind(backend: Backend) -> None:
    consent = backend.stores.consent
    phone, chain = "+5511987654321", uuid.uuid4()
    reply = OptOut(phone, T0, "reply", provider="http", keyword="PARE")
    staff = OptOut(phone, T0, "staff", set_by_chain=chain)
    assert await consent.add_opt_out(reply)
    assert not await consent.add_opt_out(replace(reply, opted_out_at=T0 + timedelta(1)))
    assert await consent.add_opt_out(staff)
    assert await consent.add_opt_out(replace(staff, set_by_chain=uuid.uuid4()))
    assert await consent.staff_opt_out(phone, chain) == staff
    assert await consent.staff_opt_out(phone, uuid.uuid4()) is None
    assert await consent.remove_opt_out(phone, chain)
    assert not await consent.remove_opt_out(phone, chain)
    assert await consent.remove_opt_out(phone, None)  # the customer's own
    assert not await consent.remove_opt_out(phone, None)


async def test_staff_see_their_own_opt_outs_and_their_customers_replies(backend: Backend) -> None:
    consent = backend.stores.consent
    chain = uuid.uuid4()
    ours = contact(chain, phone="+5511911110001")
    elsewhere = contact(chain, phone="+5511911110002")  # another branch of the chain
    await consent.keep_contact(ours)
    await consent.keep_contact(elsewhere)
    await consent.add_opt_out(OptOut(ours.phone, T0, "reply", keyword="PARE"))
    await consent.add_opt_out(OptOut(elsewhere.phone, T0, "staff", set_by_chain=chain))
    await consent.add_opt_out(
        OptOut(ours.phone, T0 - timedelta(1), "staff", set_by_chain=uuid.uuid4())
    )
    await consent.add_opt_out(OptOut("+5511911110003", T0, "reply"))  # no customer of ours

    seen = await consent.visible_opt_outs(chain, None, None, 10, 0)
    assert [(o.phone, o.set_by_chain) for o in seen] == [
        (elsewhere.phone, chain),  # own staff ones first
        (ours.phone, None),
    ]
    branch_staff = await consent.visible_opt_outs(chain, frozenset({ours.branch_id}), None, 10, 0)
    assert [(o.phone, o.set_by_chain) for o in branch_staff] == [(ours.phone, None)]
    one = await consent.visible_opt_outs(chain, None, ours.phone, 10, 0)
    assert [o.phone for o in one] == [ours.phone]
    assert len(await consent.visible_opt_outs(chain, None, None, 1, 1)) == 1
