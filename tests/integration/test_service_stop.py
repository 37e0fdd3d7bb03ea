"""A service's stop, through its runtime's lifespan on the run's real PostgreSQL and RabbitMQ
(the notifier's, as a real service): whatever fails on the way, the stop goes on to the end."""

from __future__ import annotations

import asyncio

import pytest
from aiormq.exceptions import ChannelInvalidStateError
from litestar import Litestar
from structlog.testing import capture_logs

from notifier.bootstrap import create_runtime
from notifier.config import NotifierSettings
from tests.fakes.notifier_kit import Clock
from tests.infra import Infra


async def test_a_broker_that_fails_to_stop_still_lets_the_service_stop(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop that comes while the broker is still starting can find a channel that the
    cancelled start closed: the consumer's cancel then fails, as it once did in CI (an
    ``ExceptionGroup`` out of the lifespan). The service still stops: the failure is logged,
    the pool closes."""
    runtime = create_runtime(NotifierSettings.from_env(infra.service_env("ntfstop")), Clock())
    real_stop = runtime.broker.stop

    async def stop_then_fail() -> None:
        await real_stop()  # the connection closes; the unacked go back to their queue
        closed = ChannelInvalidStateError("Channel closed by RPC timeout")
        raise ExceptionGroup("Failed to stop subscribers", [closed])

    monkeypatch.setattr(runtime.broker, "stop", stop_then_fail)
    with capture_logs() as logged:
        async with runtime.lifespan(Litestar()):
            await asyncio.wait_for(runtime.broker_started.wait(), 30)
    assert runtime.pool is not None
    assert runtime.pool.is_closing()
    failures = [e for e in logged if e["event"] == "broker_stop_failed"]
    assert [e["error"] for e in failures] == [
        "ExceptionGroup: Failed to stop subscribers (1 sub-exception)"
    ]
    assert [e["event"] for e in logged][-1] == "service_stopped"
