"""Provider and database faults around a send (issue 13, items 3 and 4), on the real database
and the fake provider over real HTTP.

- A hanging provider request holds one of ``batch_size`` slots, never the batch: the others
  are claimed and sent while it waits for its deadline.
- A provider's accept whose ``sent`` write meets a database outage is recorded once the
  database answers, and the message is never sent again.
- One whose ``sent`` write fails again and again (out of connections, a dropped connection,
  a deadlock) is written in place with the claim's lease renewed meanwhile: a second notifier
  process, looking for due messages all along, never claims it nor sends it (issue 16, item 6).
- A message found ``sending`` after its process died is looked up at the provider (Twilio's
  list at the fake, the ``http`` contract's key) before anything is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from notifier.adapters.postgres.stores import PostgresUnitOfWork
from notifier.adapters.providers.http import HttpWebhookProvider
from notifier.adapters.providers.twilio import TwilioProvider
from notifier.adapters.providers.zenvia import ZenviaProvider
from notifier.domain import delivery
from notifier.usecases.ports import LookupResult, OutgoingSms, Receipt, SentQuery, SmsProvider
from tests.fakes.notifier_kit import Order
from tests.integration.notifier.conftest import World

pytestmark = pytest.mark.integration


class RecordingProvider:
    """The real ``http`` provider, noting in order which sends finished and how."""

    name = "http"
    supports_idempotency = True
    supports_lookup = True

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

    async def lookup(self, query: SentQuery) -> LookupResult:
        return await self._inner.lookup(query)

    async def aclose(self) -> None:
        await self._inner.aclose()


class FlakyPool:
    """The real pool, whose ``acquire`` fails with ``errors`` (one each) once ``when()``; a None
    in ``errors`` lets that acquire through."""

    def __init__(
        self, pool: asyncpg.Pool, errors: list[BaseException | None], when: Callable[[], bool]
    ) -> None:
        self._pool = pool
        self._errors = errors
        self._when = when
        self.raised: list[str] = []

    def acquire(self) -> Any:
        if self._errors and self._when():
            error = self._errors.pop(0)
            if error is not None:
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

        # The unanswered ones are looked up at once: the provider took them, so they are
        # recorded sent from the lookup, with no second request.

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
    assert sorted({k: requested.count(k) for k in keys}.values()) == [1] * count
    looked_up = sorted(r.body["idempotency_key"] for r in world.fake.lookups)
    hanging_keys = sorted(str(r.key) for n, r in enumerate(world.fake.requests) if n in hanging)
    assert looked_up == hanging_keys
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
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    dispatcher = world.dispatcher()
    # Not an outage (a statement cancelled), past the tries in place (none here): the message
    # keeps its lease, which runs out, and the next claim finds the kept receipt.
    monkeypatch.setattr(delivery, "SENT_WRITE_MAX_FAILURES", 0)
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


async def test_a_sent_write_failing_again_and_again_keeps_the_lease_so_no_other_process_sends(
    world: World,
) -> None:
    """Zenvia at the fake: no key and no lookup, so a second request would be a second SMS.

    The first process's provider is slow (0.75 of a lease passes while it answers); then its
    first three ``sent`` writes fail — PostgreSQL out of connections, the connection dropped, a
    deadlock — each followed by a lease renewal. A second process's dispatcher loop looks for
    due messages every 50 ms all along, while the clock passes the first lease and more."""
    zenvia = ZenviaProvider(token="zenvia-secret", sender="etapa", base_url=world.fake.url)
    first = world.dispatcher(primary=zenvia)
    second = world.dispatcher(
        primary=ZenviaProvider(token="zenvia-secret", sender="etapa", base_url=world.fake.url)
    )
    lease = first.dispatch.policy.lease_seconds
    moved: list[bool] = []

    def accepted_and_time_passed() -> bool:
        if world.fake.requests and not moved:
            world.clock.advance(seconds=0.75 * lease)  # the provider was slow to answer
            moved.append(True)
        return bool(world.fake.requests)

    failing = FlakyPool(
        world.pool,
        [
            asyncpg.TooManyConnectionsError("sorry, too many clients already"),
            None,  # the renewal
            asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
            None,
            asyncpg.DeadlockDetectedError("deadlock detected"),
            None,
        ],
        when=accepted_and_time_passed,
    )
    first.dispatch.uow = PostgresUnitOfWork(failing)  # type: ignore[arg-type]
    order = await world.open_order()
    await world.enter_stage(order)
    claimed_at = world.clock()
    (claim,) = await first.dispatch.claim(10)
    competing = asyncio.create_task(second.run())
    sending = asyncio.create_task(first.handle(claim))
    try:
        lease_end = claim.locked_until
        for past in (1.25, 2.0):  # leases since the claim, each while the first one retries
            lease_end = await _renewed(world, order, lease_end)
            now = claimed_at + timedelta(seconds=past * lease)
            assert lease_end > now
            world.clock.now = now
            await asyncio.sleep(0.3)  # the second loop looks several times: nothing to claim
        await asyncio.wait_for(sending, 30)
        await asyncio.sleep(0.3)
    finally:
        competing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await competing
    assert failing.raised == [
        "TooManyConnectionsError",
        "ConnectionDoesNotExistError",
        "DeadlockDetectedError",
    ]
    assert world.clock() > claimed_at + timedelta(seconds=lease)  # past the first lease
    assert len(world.fake.requests) == 1  # the provider got the SMS once
    message = await world.message(order)
    assert (message["status"], message["attempts"]) == ("sent", 1)  # never claimed again
    assert message["provider_message_id"] == world.fake.taken[0]["sid"]
    assert await world.published(order) == [("sent", None)]


async def _renewed(world: World, order: Order, previous: datetime) -> datetime:
    """The message's lease once it moved past ``previous`` (renewed)."""
    for _ in range(1500):
        lease = (await world.message(order))["locked_until"]
        if lease is not None and lease > previous:
            assert isinstance(lease, datetime)
            return lease
        await asyncio.sleep(0.02)
    raise AssertionError("the lease was never renewed")


async def _died_after_the_accept(world: World, provider: SmsProvider, order: Order) -> None:
    """A first notifier process: claims, the provider takes the SMS, then every write of its
    fails and the process is gone (its kept receipt with it)."""
    dying = world.dispatcher(primary=provider)
    (claim,) = await dying.dispatch.claim(10)
    failing = FlakyPool(
        world.pool, [asyncpg.QueryCanceledError("canceling statement")] * 20, lambda: True
    )
    dying.dispatch.uow = PostgresUnitOfWork(failing)  # type: ignore[arg-type]
    original = delivery.SENT_WRITE_MAX_FAILURES
    delivery.SENT_WRITE_MAX_FAILURES = 0
    try:
        await dying.handle(claim)
    finally:
        delivery.SENT_WRITE_MAX_FAILURES = original
    assert (await world.message(order))["status"] == "sending"


def _twilio(world: World) -> TwilioProvider:
    return TwilioProvider(
        account_sid="AC123", auth_token="t", sender="+15005550006", base_url=world.fake.url
    )


async def test_a_message_found_sending_after_a_crash_is_looked_up_at_twilio_not_resent(
    world: World,
) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    await _died_after_the_accept(world, _twilio(world), order)
    (sms,) = world.fake.requests
    world.clock.advance(seconds=world.dispatcher().dispatch.policy.lease_seconds + 1)

    assert await world.dispatcher(primary=_twilio(world)).dispatch_once() == 1
    assert world.fake.requests == [sms]  # no second request
    (lookup,) = world.fake.lookups
    assert lookup.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert lookup.body == {"To": order.phone, "From": "+15005550006", "PageSize": "50"}
    message = await world.message(order)
    assert (message["status"], message["attempts"]) == ("sent", 2)
    assert message["provider"] == "twilio"
    assert message["provider_message_id"] == world.fake.taken[0]["sid"]
    assert message["body"] == sms.text
    assert await world.published(order) == [("sent", None)]


async def test_a_message_twilio_never_got_is_sent_after_the_lookup(world: World) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    await world.dispatcher(primary=_twilio(world)).dispatch.claim(10)  # claimed; died unsent
    world.clock.advance(seconds=world.dispatcher().dispatch.policy.lease_seconds + 1)
    assert await world.dispatcher(primary=_twilio(world)).dispatch_once() == 1
    assert len(world.fake.lookups) == 1
    assert len(world.fake.requests) == 1
    assert (await world.message(order))["status"] == "sent"


async def test_a_lookup_that_fails_sends_nothing_and_the_next_claim_asks_again(
    world: World,
) -> None:
    order = await world.open_order()
    await world.enter_stage(order)
    await _died_after_the_accept(world, world.http_provider(), order)
    world.fake.fail_lookups(1)
    dispatcher = world.dispatcher()
    lease = dispatcher.dispatch.policy.lease_seconds
    world.clock.advance(seconds=lease + 1)
    assert await dispatcher.dispatch_once() == 1
    assert (await world.message(order))["status"] == "sending"  # could not tell: waits
    world.clock.advance(seconds=lease + 1)
    assert await dispatcher.dispatch_once() == 1
    assert [r.status for r in world.fake.lookups] == [503, 200]
    key = f"{order.order_id}:1"
    assert [r.key for r in world.fake.requests] == [key]  # the key was never sent again
    message = await world.message(order)
    assert (message["status"], message["attempts"]) == ("sent", 3)
    assert message["provider_message_id"] == world.fake.deliveries[key]
    assert await world.published(order) == [("sent", None)]


async def _stop_while_sending(world: World, count: int, stop_grace: float) -> float:
    """Start a dispatcher, stop it (as the runtime does: cancel its task) once every message
    is claimed and its request is at the provider; how long the stop took."""
    orders = [await world.open_order() for _ in range(count)]
    for order in orders:
        await world.enter_stage(order)
    dispatcher = world.dispatcher(stop_grace=stop_grace, send_tries=1, send_timeout=10)
    task = asyncio.create_task(dispatcher.run())

    async def all_claimed() -> bool:
        statuses = await world.pool.fetch("SELECT status FROM messages")
        return [r["status"] for r in statuses] == ["sending"] * count

    await _eventually(all_claimed)
    await asyncio.sleep(0.2)  # their requests are at the fake, which answers after its latency
    started = asyncio.get_running_loop().time()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return asyncio.get_running_loop().time() - started


async def test_a_stopping_notifier_lets_its_sends_in_flight_finish(world: World) -> None:
    """A deploy or a scale-down under load: the sends in flight finish and are recorded, rather
    than each waiting out its lease (a minute) for another process to send it."""
    world.fake.latency = 1.0
    took = await _stop_while_sending(world, count=5, stop_grace=5.0)
    assert 0.5 < took < 5.0  # it waited for the answers, not for the grace
    rows = await world.pool.fetch("SELECT status, provider_message_id FROM messages")
    assert [r["status"] for r in rows] == ["sent"] * 5
    assert sorted(r["provider_message_id"] for r in rows) == sorted(world.fake.deliveries.values())


async def test_a_send_still_in_flight_after_the_grace_keeps_its_lease(world: World) -> None:
    world.fake.latency = 3.0
    took = await _stop_while_sending(world, count=2, stop_grace=0.5)
    assert took < 2.5  # it stopped at the grace, not at the provider's answer
    rows = await world.pool.fetch("SELECT status, locked_until FROM messages")
    assert [r["status"] for r in rows] == ["sending"] * 2  # claimed again when the lease ends
    assert all(r["locked_until"] > world.clock() for r in rows)
