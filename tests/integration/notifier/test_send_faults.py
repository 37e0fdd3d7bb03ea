"""Provider and database faults around a send (issue 13, items 3 and 4), on the real database
and the fake provider over real HTTP.

- A hanging provider request holds one of ``batch_size`` slots, never the batch: the others
  are claimed and sent while it waits for its deadline.
- A provider's accept whose ``sent`` write meets a database outage is recorded once the
  database answers, and the message is never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from notifier.adapters.postgres.stores import PostgresUnitOfWork
from notifier.adapters.providers.http import HttpWebhookProvider
from notifier.usecases.ports import OutgoingSms, Receipt, SmsProvider
from tests.fakes.notifier_kit import Order
from tests.integration.notifier.conftest import World

pytestmark = pytest.mark.integration


class RecordingProvider:
    """The real ``http`` provider, noting in order which sends finished and how."""

    name = "http"
    supports_idempotency = True

    def __init__(self, inner: SmsProvider) -> None:
        self._inner = inner
        self.events: list[tuple[str, str]] = []

    async def send(self, sms: OutgoingSms) -> Receipt:
        try:
            receipt = await self._inner.send(sms)
        except BaseException:  # the dispatcher's deadline cancels the request
            self.events.append(("no answer", sms.idempotency_key))
            raise
        self.events.append(("accepted", sms.idempotency_key))
        return receipt

    async def aclose(self) -> None:
        await self._inner.aclose()


class FlakyPool:
    """The real pool, whose ``acquire`` fails with ``errors`` (one each) once ``when()``."""

    def __init__(
        self, pool: asyncpg.Pool, errors: list[BaseException], when: Callable[[], bool]
    ) -> None:
        self._pool = pool
        self._errors = errors
        self._when = when
        self.raised: list[str] = []

    def acquire(self) -> Any:
        if self._errors and self._when():
            error = self._errors.pop(0)
            self.raised.append(type(error).__name__)
            raise error
        return self._pool.acquire()


async def _eventually(check: Callable[[], Any], seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not reached in time")


async def test_hanging_requests_hold_their_slots_and_the_other_messages_keep_flowing(
    world: World,
) -> None:
    timeout, batch, count = 3.0, 10, 30
    orders: list[Order] = []
    for _ in range(count):
        order = await world.open_order()
        await world.enter_stage(order)
        orders.append(order)
    hanging = {n for n in range(count) if n % 10 < 3}  # 30 % of the first requests
    world.fake.lose_responses(hanging, seconds=timeout + 1)
    # The client's own timeout is long: the dispatcher's deadline per request is what ends it.
    provider = RecordingProvider(HttpWebhookProvider(f"{world.fake.url}/sms", timeout=60))
    dispatcher = world.dispatcher(
        primary=provider, batch_size=batch, send_tries=1, send_timeout=timeout
    )
    task = asyncio.create_task(dispatcher.run())
    try:

        async def all_answered() -> bool:
            return len(provider.events) == count

        await _eventually(all_answered)
        outcomes = [outcome for outcome, _ in provider.events]
        # Every request that got its answer finished before the first hanging one reached its
        # deadline. With one gather per batch, at most batch - 3 = 7 could: each batch of 10
        # waited `timeout` for its hanging requests, so 30 messages took 3 × timeout.
        assert outcomes.count("no answer") == len(hanging)
        assert outcomes.index("no answer") == count - len(hanging)

        world.clock.advance(minutes=5)  # the unanswered ones are due again, with the same key

        async def all_sent() -> bool:
            statuses = await world.pool.fetch("SELECT status FROM messages")
            return [r["status"] for r in statuses] == ["sent"] * count

        await _eventually(all_sent)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    keys = [f"{order.order_id}:1" for order in orders]
    assert sorted(world.fake.deliveries) == sorted(keys)  # one delivery per key
    requested = [r.key for r in world.fake.requests]
    assert sorted({k: requested.count(k) for k in keys}.values()) == [1] * 21 + [2] * 9
    for order in orders:
        assert await world.published(order) == [("sent", None)]
        message = await world.message(order)
        assert message["provider_message_id"] == world.fake.deliveries[f"{order.order_id}:1"]


async def test_an_accept_whose_sent_write_meets_an_outage_is_recorded_and_never_resent(
    world: World,
) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    dispatcher = world.dispatcher()
    outage = FlakyPool(
        world.pool,
        [
            asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
            asyncpg.InternalClientError("cannot perform operation: connection is closed"),
            ConnectionRefusedError(111, "Connection refused"),
        ],
        when=lambda: bool(world.fake.deliveries),  # from the provider's accept on
    )
    dispatcher.dispatch.uow = PostgresUnitOfWork(outage)  # type: ignore[arg-type]
    assert await dispatcher.dispatch_once() == 1
    assert outage.raised == [
        "ConnectionDoesNotExistError",
        "InternalClientError",
        "ConnectionRefusedError",
    ]
    key = f"{order.order_id}:1"
    message = await world.message(order)
    assert message["status"] == "sent"
    assert message["provider_message_id"] == world.fake.deliveries[key]
    assert await world.published(order) == [("sent", None)]

    world.clock.advance(seconds=dispatcher.dispatch.policy.lease_seconds + 1)
    assert await dispatcher.dispatch_once() == 0
    assert [r.key for r in world.fake.requests] == [key]  # one request for the key


async def test_an_accept_whose_sent_write_failed_is_recorded_at_the_next_claim_not_resent(
    world: World,
) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    dispatcher = world.dispatcher()
    # Not an outage (a statement cancelled): the write is not retried in place; the message
    # keeps its lease, which runs out, and the next claim finds the kept receipt.
    failing = FlakyPool(
        world.pool,
        [asyncpg.QueryCanceledError("canceling statement due to statement timeout")],
        when=lambda: bool(world.fake.deliveries),
    )
    dispatcher.dispatch.uow = PostgresUnitOfWork(failing)  # type: ignore[arg-type]
    assert await dispatcher.dispatch_once() == 1
    assert failing.raised == ["QueryCanceledError"]
    assert (await world.message(order))["status"] == "sending"

    world.clock.advance(seconds=dispatcher.dispatch.policy.lease_seconds + 1)
    assert await dispatcher.dispatch_once() == 1
    key = f"{order.order_id}:1"
    message = await world.message(order)
    assert message["status"] == "sent"
    assert message["attempts"] == 2
    assert message["provider_message_id"] == world.fake.deliveries[key]
    assert [r.key for r in world.fake.requests] == [key]
    assert await world.published(order) == [("sent", None)]


async def test_a_message_is_sent_as_soon_as_the_consumer_wakes_the_dispatcher(
    world: World,
) -> None:
    """Push, not poll (issue 16, item 4): with a minute between looks, a recorded message is
    still sent at once when its consumer wakes the dispatcher after committing it."""
    wake = asyncio.Event()
    dispatcher = world.dispatcher()
    dispatcher._interval = 60.0  # no look for due messages during the test: only the wake
    dispatcher._wake = wake
    task = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.sleep(0.3)  # its first look found nothing: it waits
        order = await world.open_order()
        await world.enter_stage(order)
        wake.set()  # what the consumer does once its transaction commits

        async def sent() -> bool:
            return bool((await world.message(order))["status"] == "sent")

        await _eventually(sent, seconds=5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert [r.key for r in world.fake.requests] == [f"{order.order_id}:1"]
