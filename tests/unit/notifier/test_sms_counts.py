"""``etapa_sms_messages_total``: each SMS status counted once it is stored, by provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from prometheus_client import REGISTRY

from notifier.domain.callbacks import StatusReport
from notifier.usecases.delivery_report import apply_report
from notifier.usecases.ports import TransientSendError
from tests.fakes.notifier_kit import DatabaseDown, Notifier

Counts = Callable[[str, str], float]


def _count(status: str, provider: str) -> float:
    labels = {"service": "notifier", "status": status, "provider": provider}
    return REGISTRY.get_sample_value("etapa_sms_messages_total", labels) or 0.0


@pytest.fixture
def moved() -> Counts:
    """How much a status and provider's count moved since the test began."""
    start: dict[tuple[str, str], float] = {}
    statuses = ("sent", "failed", "suppressed", "held", "retried", "delivered", "undelivered")
    for status in statuses:
        for provider in ("http", "none"):
            start[status, provider] = _count(status, provider)
    return lambda status, provider: _count(status, provider) - start[status, provider]


@pytest.fixture
def notifier() -> Notifier:
    return Notifier()


async def test_a_sent_sms_and_its_delivery_report_count_under_the_provider(
    notifier: Notifier, moved: Counts
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    await notifier.dispatcher().dispatch_once()
    now = notifier.clock()
    await apply_report(notifier.uow, "http", StatusReport("http-1", None), now)  # unchanged
    await apply_report(notifier.uow, "http", StatusReport("http-1", "delivered"), now)
    await apply_report(notifier.uow, "http", StatusReport("http-1", "failed"), now)  # too late
    assert (moved("sent", "http"), moved("delivered", "http")) == (1, 1)
    assert moved("undelivered", "http") == 0


async def test_a_held_sms_counts_once_however_many_rounds_find_the_window_closed(
    notifier: Notifier, moved: Counts
) -> None:
    order = await notifier.open_order()
    notifier.clock.advance(hours=10)  # 22:00 in São Paulo
    await notifier.enter_stage(order)
    dispatcher = notifier.dispatcher()
    await dispatcher.dispatch_once()
    notifier.clock.advance(hours=1)
    await dispatcher.dispatch_once()
    assert moved("held", "none") == 1
    notifier.clock.advance(hours=9)  # 08:00
    await dispatcher.dispatch_once()
    assert moved("sent", "http") == 1


async def test_decisions_count_with_no_provider(notifier: Notifier, moved: Counts) -> None:
    no_consent = await notifier.open_order(consent=False)
    await notifier.enter_stage(no_consent)
    odd = await notifier.open_order(phone="+5511911112222")
    contact = notifier.uow.db.contacts[odd.order_id]
    notifier.uow.db.contacts[odd.order_id] = replace(contact, chain_id=no_consent.chain_id)
    await notifier.enter_stage(odd)
    await notifier.dispatcher().dispatch_once()
    assert (moved("suppressed", "none"), moved("failed", "none")) == (1, 1)
    assert moved("failed", "http") == 0


async def test_each_failed_round_counts_as_retried_and_the_last_as_failed(
    notifier: Notifier, moved: Counts
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    notifier.provider.failures = [TransientSendError("http: HTTP 503")] * 3
    dispatcher = notifier.dispatcher(max_attempts=3, retry_base_delay=10.0, jitter=1.0)
    for _ in range(3):
        await dispatcher.dispatch_once()
        notifier.clock.advance(seconds=30)
    assert (moved("retried", "http"), moved("failed", "http")) == (2, 1)
    assert moved("sent", "http") == 0


async def test_a_sent_write_held_through_an_outage_counts_once(
    notifier: Notifier, moved: Counts
) -> None:
    order = await notifier.open_order()
    await notifier.enter_stage(order)
    dispatcher = notifier.dispatcher()
    (claim,) = await dispatcher.dispatch.claim(10)
    notifier.uow.fail_next = [DatabaseDown("connection refused"), DatabaseDown("again")]
    await dispatcher.handle(claim)
    assert moved("sent", "http") == 1
