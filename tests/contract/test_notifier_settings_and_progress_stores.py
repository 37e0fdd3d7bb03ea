"""Contracts of the notifier's SettingsStore (branch windows, chain SMS options) and
OrderProgressStore, and of the unit of work: the same on both backends."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import time, timedelta

import pytest

from notifier.usecases.records import BranchWindow, OptOut, SmsSettings
from tests.contract import notifier_stores
from tests.contract.notifier_stores import LEASE, T0, Backend, branch, contact, recorded

backend = notifier_stores.backend


async def test_a_branch_seen_in_an_order_has_the_default_window_until_its_upsert(
    backend: Backend,
) -> None:
    stores = backend.stores
    of = contact()
    await recorded(backend, of)
    await stores.settings.ensure_branch(branch(of, window=None, at=T0))
    (claim,) = await stores.messages.claim_due(10, T0, LEASE)
    assert claim.window == BranchWindow(time(8), time(20), frozenset(range(6)))
    # branch.upserted, even an older one, wins over the default
    assert await stores.settings.keep_branch(branch(of, at=T0 - timedelta(days=1)))
    await stores.settings.ensure_branch(branch(of, window=None, at=T0, name="Outro"))
    assert await stores.settings.branch_chain(of.branch_id) == of.chain_id


async def test_a_branch_is_changed_only_by_news_not_older_of_its_own_chain(
    backend: Backend,
) -> None:
    settings = backend.stores.settings
    of = contact()
    assert await settings.keep_branch(branch(of, at=T0))
    assert await settings.keep_branch(branch(of, at=T0))  # same time: applied again
    assert not await settings.keep_branch(branch(of, at=T0 - timedelta(seconds=1)))
    assert not await settings.keep_branch(branch(of, at=T0 + timedelta(1), chain_id=uuid.uuid4()))
    assert await settings.branch_chain(of.branch_id) == of.chain_id
    assert await settings.branch_chain(uuid.uuid4()) is None


async def test_sms_settings_are_kept_per_chain(backend: Backend) -> None:
    settings = backend.stores.settings
    chain = uuid.uuid4()
    assert await settings.sms_settings(chain) is None
    saved = await settings.save_sms_settings(SmsSettings(chain, True, T0, "u1"))
    assert saved == SmsSettings(chain, True, T0, "u1")
    await settings.save_sms_settings(SmsSettings(chain, False, T0 + timedelta(1), "u2"))
    assert await settings.sms_settings(chain) == SmsSettings(chain, False, T0 + timedelta(1), "u2")
    assert await settings.sms_settings(uuid.uuid4()) is None


async def test_order_progress_keeps_the_latest_entry_and_the_closing_of_its_chain(
    backend: Backend,
) -> None:
    stores = backend.stores
    of = contact()
    await recorded(backend, of)
    progress = stores.progress
    await progress.note_entry(of.chain_id, of.order_id, 0)
    await progress.note_entry(of.chain_id, of.order_id, 4)
    await progress.note_entry(of.chain_id, of.order_id, 2)
    await progress.note_entry(uuid.uuid4(), of.order_id, 9)  # another chain: ignored
    await progress.note_closed(uuid.uuid4(), of.order_id, T0, "cancelled")  # ignored
    assert await progress.order_chain(of.order_id) == of.chain_id
    (claim,) = await stores.messages.claim_due(10, T0, LEASE)
    assert (claim.latest_entry_sequence, claim.order_closed) == (4, False)
    await progress.note_closed(of.chain_id, of.order_id, T0, "delivered")
    closed_early = uuid.uuid4()
    await progress.note_closed(of.chain_id, closed_early, T0, "cancelled")
    assert await progress.order_chain(closed_early) == of.chain_id
    assert await progress.order_chain(uuid.uuid4()) is None


async def test_a_unit_of_work_that_raises_leaves_nothing_behind(backend: Backend) -> None:
    of = contact()

    async def half_way() -> None:
        async with backend.uow() as stores:
            await stores.consent.keep_contact(of)
            await stores.consent.add_opt_out(OptOut(of.phone, T0, "reply"))
            raise RuntimeError("a bug half-way")

    with pytest.raises(RuntimeError):
        await half_way()
    async with backend.uow() as stores:
        assert await stores.consent.contact_chain(of.order_id) is None
        assert await stores.consent.staff_opt_out(of.phone, of.chain_id) is None
        assert await stores.consent.add_opt_out(OptOut(of.phone, T0, "reply"))  # not there yet
    async with backend.uow() as stores:
        await stores.consent.keep_contact(replace(of))
    assert await backend.stores.consent.contact_chain(of.order_id) == of.chain_id
