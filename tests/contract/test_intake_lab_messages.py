"""Contract of intake's lab-message store: messages as received, outcomes, lab progress."""

# ruff: noqa: F811 - the fixtures are imported, and pytest passes them by name

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from uuid import UUID

from intake.domain.records import LabMessageStatus
from intake.usecases.ports import Stores, Transactions
from tests.contract.intake_stores import (  # noqa: F401 - fixtures
    NOW,
    intake_pool,
    new_branch,
    new_chain,
    new_order,
    tag,
    transactions,
)


async def _insert(
    stores: Stores, code: str, message_id: str | None, chain_id: UUID | None, at: datetime = NOW
) -> tuple[UUID, bool]:
    lab_message_id = uuid.uuid4()
    inserted = await stores.lab_messages.insert(
        lab_message_id=lab_message_id,
        received_at=at,
        via="amqp",
        routing_key=f"lab.{code}.status",
        lab_code=code,
        chain_id=chain_id,
        message_id=message_id,
        body=b'{"x": 1}',
    )
    return lab_message_id, inserted


async def test_a_message_is_stored_once_per_lab_and_message_id(
    transactions: Transactions,
) -> None:
    code = f"L{tag()}"
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        first, inserted = await _insert(stores, code, "m-1", chain_id)
        assert inserted
        _, again = await _insert(stores, code, "m-1", chain_id)
        assert not again
        earlier = await stores.lab_messages.earlier(code, "m-1")
        assert (earlier.lab_message_id, earlier.status, earlier.order_id) == (
            first,
            "rejected",
            None,
        )
        assert (await _insert(stores, f"O{tag()}", "m-1", chain_id))[1]  # another lab may
        assert (await _insert(stores, code, None, chain_id))[1]  # no id: never a duplicate
        assert (await _insert(stores, code, None, chain_id))[1]


async def test_outcomes_resends_and_attempts_are_kept(transactions: Transactions) -> None:
    code = f"L{tag()}"
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        order = await new_order(stores, chain_id, await new_branch(stores, chain_id))
        message, _ = await _insert(stores, code, "m-1", chain_id)
        await stores.lab_messages.resent(message, body=b"{}", via="http", routing_key=None)
        await stores.lab_messages.count_attempt(message)
        later = NOW + timedelta(minutes=5)
        await stores.lab_messages.record(
            message,
            status="accepted",
            reason=None,
            order_id=order.order_id,
            occurred_at=NOW,
            now=later,
        )
        stored = await stores.lab_messages.for_replay(chain_id, message)
        assert stored is not None
        assert (stored.body, stored.via, stored.routing_key, stored.attempts) == (
            b"{}",
            "http",
            None,
            3,
        )
        assert (stored.status, stored.order_id, stored.occurred_at, stored.last_attempt_at) == (
            "accepted",
            order.order_id,
            NOW,
            later,
        )
        assert await stores.lab_messages.for_replay(await new_chain(stores), message) is None


async def test_a_lab_registered_later_adopts_its_orphan_messages(
    transactions: Transactions,
) -> None:
    code = f"L{tag()}"
    async with transactions.begin() as stores:
        message, _ = await _insert(stores, code, "m-1", None)
        chain_id = await new_chain(stores)
        assert await stores.lab_messages.get(chain_id, None, message) is None
        await stores.labs.create(
            lab_id=uuid.uuid4(), chain_id=chain_id, code=code, name="Lab", now=NOW
        )
        stored = await stores.lab_messages.get(chain_id, None, message)
        assert stored is not None
        assert stored.lab_code == code


async def test_progress_refuses_only_an_older_time(transactions: Transactions) -> None:
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        order = await new_order(stores, chain_id, await new_branch(stores, chain_id))
        progress = stores.lab_messages.advance_progress
        assert await progress(order.order_id, "LABX", NOW, uuid.uuid4())
        assert await progress(order.order_id, "LABX", NOW, uuid.uuid4())  # same instant
        assert not await progress(order.order_id, "LABX", NOW - timedelta(seconds=1), uuid.uuid4())
        assert await progress(order.order_id, "LABY", NOW - timedelta(days=1), uuid.uuid4())


async def test_the_list_is_newest_first_by_status_and_branch(transactions: Transactions) -> None:
    code = f"L{tag()}"
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        here, there = await new_branch(stores, chain_id), await new_branch(stores, chain_id)
        order_here = await new_order(stores, chain_id, here)
        order_there = await new_order(stores, chain_id, there)
        ids = []
        for minutes, order in ((1, order_here), (2, order_there), (3, None)):
            message, _ = await _insert(
                stores, code, f"m-{minutes}", chain_id, NOW + timedelta(minutes=minutes)
            )
            status: LabMessageStatus = "rejected" if order is None else "accepted"
            await stores.lab_messages.record(
                message,
                status=status,
                reason=None,
                order_id=order.order_id if order else None,
                occurred_at=None,
                now=NOW,
            )
            ids.append(message)
        listed = await stores.lab_messages.list_messages(chain_id, None, None, 10, 0)
        assert [m.lab_message_id for m in listed] == ids[::-1]
        assert [m.branch_timezone for m in listed] == [None, there.timezone, here.timezone]
        rejected = await stores.lab_messages.list_messages(chain_id, None, "rejected", 10, 0)
        assert [m.lab_message_id for m in rejected] == [ids[2]]
        mine = await stores.lab_messages.list_messages(
            chain_id, frozenset({here.branch_id}), None, 10, 0
        )
        assert [m.lab_message_id for m in mine] == [ids[2], ids[0]]  # no order: visible too
        assert await stores.lab_messages.get(chain_id, frozenset({here.branch_id}), ids[1]) is None
        assert await stores.lab_messages.list_messages(chain_id, None, None, 1, 1) == listed[1:3]


async def test_a_lab_lists_only_its_own_messages(transactions: Transactions) -> None:
    code, other = f"L{tag()}", f"O{tag()}"
    async with transactions.begin() as stores:
        chain_id = await new_chain(stores)
        elsewhere = await new_chain(stores)
        ids = []
        for minutes in (1, 2, 3):
            message, _ = await _insert(
                stores, code, f"m-{minutes}", chain_id, NOW + timedelta(minutes=minutes)
            )
            ids.append(message)
        await stores.lab_messages.record(
            ids[1], status="accepted", reason=None, order_id=None, occurred_at=None, now=NOW
        )
        await _insert(stores, other, "m-9", chain_id, NOW + timedelta(minutes=9))
        await _insert(stores, code, "m-8", elsewhere, NOW + timedelta(minutes=8))
        listed = await stores.lab_messages.list_lab_messages(chain_id, code, None, 10, 0)
        assert [m.lab_message_id for m in listed] == ids[::-1]
        assert {m.lab_code for m in listed} == {code}
        rejected = await stores.lab_messages.list_lab_messages(chain_id, code, "rejected", 10, 0)
        assert [m.lab_message_id for m in rejected] == [ids[2], ids[0]]
        page = await stores.lab_messages.list_lab_messages(chain_id, code, None, 1, 1)
        assert page == listed[1:3]  # up to limit + 1: tells a next page
        assert await stores.lab_messages.list_lab_messages(elsewhere, other, None, 10, 0) == []
