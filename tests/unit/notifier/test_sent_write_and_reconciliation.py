"""Never a second SMS because the database was busy (issue 16, item 6), on the in-memory stores.

- A provider's accept whose ``sent`` write fails is written again in place, the claim's lease
  renewed between tries, so a second dispatcher (another notifier process) claims nothing
  meanwhile and the provider gets one request.
- A message found ``sending`` after its lease ran out (its process died between the accept and
  the write) is looked up at the provider first: found, it is recorded with no request; not
  found, it is sent; the provider could not tell, nothing is sent until it can, or the message
  fails for a person to check. A provider without a lookup sends again, as before.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest

from notifier.domain import delivery
from notifier.usecases.ports import OutgoingSms, Receipt
from tests.fakes.notifier_kit import DatabaseDown, MemoryProvider, Notifier, Order


@pytest.fixture
def notifier() -> Notifier:
    return Notifier()


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "SENT_WRITE_FIRST_PAUSE", 0.05)
    monkeypatch.setattr(delivery, "SENT_WRITE_MAX_PAUSE", 0.05)


@dataclass
class SlowProvider(MemoryProvider):
    """Accepts, and the clock moves ``seconds`` while it answers (a slow provider)."""

    notifier: Notifier | None = None
    seconds: float = 0.0

    async def send(self, sms: OutgoingSms) -> Receipt:
        receipt = await super().send(sms)
        assert self.notifier is not None
        self.notifier.clock.advance(seconds=self.seconds)
        return receipt


async def _until(check: object, seconds: float = 5.0) -> None:
    assert callable(check)
    for _ in range(int(seconds / 0.005)):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("not reached in time")


async def test_a_sent_write_that_keeps_failing_is_written_in_place_and_the_lease_renewed(
    notifier: Notifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first three ``sent`` writes fail (two outages and a deadlock); the lease is renewed
    between them; the provider, slow, took 0.75 of a lease to answer, and a second dispatcher
    looks for due messages at 1.25 leases after the claim: it finds nothing to claim."""
    monkeypatch.setattr(delivery, "SENT_WRITE_FIRST_PAUSE", 0.3)
    monkeypatch.setattr(delivery, "SENT_WRITE_MAX_PAUSE", 0.3)
    notifier.provider = SlowProvider(supports_idempotency=False, notifier=notifier)
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    first, second = notifier.dispatcher(), notifier.dispatcher()
    lease = first.dispatch.policy.lease_seconds
    notifier.provider.seconds = 0.75 * lease
    claimed_at = notifier.clock()
    (claim,) = await first.dispatch.claim(10)
    # Each transaction after the claim, in turn: write, renew, write, renew; later a third
    # write fails too (below), then its renewal and the fourth write commit.
    notifier.uow.fail_next = [
        DatabaseDown("too many clients already"),
        None,
        RuntimeError("deadlock detected"),
        None,
    ]
    sending = asyncio.create_task(first.handle(claim))
    await _until(lambda: not notifier.uow.fail_next)  # two writes failed, two renewals
    notifier.clock.advance(seconds=0.5 * lease)  # 1.25 leases after the claim
    renewed = notifier.message(order)["locked_until"]
    assert renewed == claimed_at + timedelta(seconds=1.75 * lease)  # renewed at 0.75 leases
    assert await second.dispatch_once() == 0  # the lease was renewed: nothing to claim
    notifier.uow.fail_next = [DatabaseDown("connection refused")]  # the first one's next write
    await sending
    assert notifier.uow.fail_next == []
    assert len(notifier.provider.sent) == 1  # one request for the SMS, ever
    message = notifier.message(order)
    assert (message["status"], message["attempts"]) == ("sent", 1)
    assert message["provider_message_id"] == "http-1"
    assert notifier.published(order) == [("sent", None)]


async def _accepted_then_died(
    notifier: Notifier, order: Order, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first notifier process claims the message, the provider takes it, and the process is
    gone before its ``sent`` write lands (its kept receipt goes with it)."""
    dying = notifier.dispatcher()
    (claim,) = await dying.dispatch.claim(10)
    with monkeypatch.context() as patch:
        patch.setattr(delivery, "SENT_WRITE_MAX_FAILURES", 0)
        notifier.uow.fail_next = [RuntimeError("server closed the connection")]
        await dying.handle(claim)
    assert len(notifier.provider.sent) == 1
    assert notifier.message(order)["status"] == "sending"


async def test_a_message_the_provider_has_is_recorded_without_a_second_request(
    notifier: Notifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifier.provider = MemoryProvider(supports_idempotency=False, supports_lookup=True)
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    claimed_at = notifier.clock()
    await _accepted_then_died(notifier, order, monkeypatch)
    notifier.clock.advance(seconds=notifier.dispatcher().dispatch.policy.lease_seconds + 1)

    assert await notifier.dispatcher().dispatch_once() == 1  # another process
    assert len(notifier.provider.sent) == 1  # no second request
    (query,) = notifier.provider.lookups
    assert query.idempotency_key == f"{order.order_id}:1"
    assert (query.to, query.since) == (order.phone, claimed_at)
    assert query.body == notifier.provider.sent[0].body
    message = notifier.message(order)
    assert (message["status"], message["attempts"]) == ("sent", 2)
    assert message["provider_message_id"] == "http-1"
    assert message["body"] == query.body
    assert notifier.published(order) == [("sent", None)]


async def test_a_message_the_provider_never_got_is_sent(notifier: Notifier) -> None:
    notifier.provider = MemoryProvider(supports_idempotency=False, supports_lookup=True)
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    await notifier.dispatcher().dispatch.claim(10)  # claimed, then the process died: no send
    notifier.clock.advance(seconds=notifier.dispatcher().dispatch.policy.lease_seconds + 1)

    assert await notifier.dispatcher().dispatch_once() == 1
    assert len(notifier.provider.lookups) == 1
    assert len(notifier.provider.sent) == 1
    assert notifier.message(order)["status"] == "sent"
    assert notifier.published(order) == [("sent", None)]


async def test_while_the_provider_cannot_tell_nothing_is_sent_then_a_person_checks(
    notifier: Notifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifier.provider = MemoryProvider(
        supports_idempotency=False, supports_lookup=True, unsure_lookups=10
    )
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    await _accepted_then_died(notifier, order, monkeypatch)  # attempt 1
    dispatcher = notifier.dispatcher(max_attempts=3)
    lease = dispatcher.dispatch.policy.lease_seconds

    notifier.clock.advance(seconds=lease + 1)
    assert await dispatcher.dispatch_once() == 1  # attempt 2: unknown, nothing written
    message = notifier.message(order)
    assert (message["status"], message["attempts"]) == ("sending", 2)
    assert await dispatcher.dispatch_once() == 0  # its lease holds until it runs out

    notifier.clock.advance(seconds=lease + 1)
    assert await dispatcher.dispatch_once() == 1  # attempt 3 of 3: still unknown
    assert len(notifier.provider.lookups) == 2
    assert len(notifier.provider.sent) == 1  # never a second request
    message = notifier.message(order)
    assert message["status"] == "failed"
    reason = "o provedor não confirmou, em 3 consultas, se recebeu o SMS: confira no provedor"
    assert str(message["status_reason"]).startswith(reason)
    assert notifier.published(order) == [("failed", message["status_reason"])]


async def test_a_provider_found_after_an_unsure_answer_is_recorded(
    notifier: Notifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifier.provider = MemoryProvider(
        supports_idempotency=False, supports_lookup=True, unsure_lookups=1
    )
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    await _accepted_then_died(notifier, order, monkeypatch)
    dispatcher = notifier.dispatcher()
    for _ in range(2):
        notifier.clock.advance(seconds=dispatcher.dispatch.policy.lease_seconds + 1)
        assert await dispatcher.dispatch_once() == 1
    assert len(notifier.provider.lookups) == 2
    assert len(notifier.provider.sent) == 1
    assert notifier.message(order)["status"] == "sent"


async def test_a_provider_without_a_lookup_sends_again_as_before(
    notifier: Notifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented limit: Zenvia (API v2) cannot be asked, so the message goes again."""
    notifier.provider = MemoryProvider(name="zenvia", supports_idempotency=False)
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    await _accepted_then_died(notifier, order, monkeypatch)
    notifier.clock.advance(seconds=notifier.dispatcher().dispatch.policy.lease_seconds + 1)
    assert await notifier.dispatcher().dispatch_once() == 1
    assert notifier.provider.lookups == []
    assert len(notifier.provider.sent) == 2
    assert notifier.message(order)["status"] == "sent"


@pytest.mark.parametrize(
    ("outage", "tries", "failures", "expected"),
    [
        (True, 1, 0, delivery.WriteAgain(0.2)),
        (True, 3, 0, delivery.WriteAgain(0.8)),
        (True, 500, 0, delivery.WriteAgain(5.0)),  # an outage is waited for, however long
        (False, 1, 1, delivery.WriteAgain(0.2)),
        (False, 6, 5, delivery.WriteAgain(5.0)),
        (False, 6, 6, delivery.LeaveReceipt("a gravação de 'enviado' falhou 6 vezes")),
    ],
)
def test_how_long_a_sent_write_is_tried_in_place(
    outage: bool, tries: int, failures: int, expected: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "SENT_WRITE_FIRST_PAUSE", 0.2)
    monkeypatch.setattr(delivery, "SENT_WRITE_MAX_PAUSE", 5.0)
    assert (
        delivery.after_sent_write_failed(outage=outage, tries=tries, failures=failures) == expected
    )


@pytest.mark.parametrize(
    ("found", "attempts", "expected"),
    [
        (None, 2, delivery.CarryOn()),
        ("not_found", 5, delivery.CarryOn()),
        ("accepted", 5, delivery.RecordAccepted("SM1")),
        (
            "unknown",
            4,
            delivery.LookAgainLater(
                "o provedor não soube dizer se recebeu o SMS; nova consulta depois"
            ),
        ),
    ],
)
def test_what_a_lookup_decides(
    found: delivery.Found | None, attempts: int, expected: object
) -> None:
    assert delivery.after_lost_claim(found, "SM1", attempts=attempts, max_attempts=5) == expected


def test_an_answer_that_stays_unknown_fails_for_a_person() -> None:
    step = delivery.after_lost_claim("unknown", None, attempts=5, max_attempts=5)
    assert isinstance(step, delivery.Fail)
    assert "confira no provedor antes de reenviar" in step.reason
