"""An unexpected error in one send, or in a whole round, never ends the dispatcher."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from notifier.dispatch import Dispatcher, DispatchPolicy


class _Providers:
    async def aclose(self) -> None:
        return None


def _dispatcher() -> Dispatcher:
    return Dispatcher(
        pool=None,  # type: ignore[arg-type]
        providers=_Providers(),  # type: ignore[arg-type]
        clock=lambda: datetime.now(UTC),
        closed_days=lambda *_: frozenset(),
        policy=DispatchPolicy(),
        tracking_base_url=None,
        interval=0.01,
    )


async def test_one_messages_unexpected_error_does_not_stop_the_others() -> None:
    dispatcher = _dispatcher()
    delivered: list[int] = []

    async def claim() -> list[dict[str, Any]]:
        return [{"notification_id": n} for n in range(3)]

    async def deliver(message: dict[str, Any]) -> None:
        if message["notification_id"] == 0:
            raise KeyError("a bug in one message")
        await asyncio.sleep(0.05)
        delivered.append(message["notification_id"])

    dispatcher._claim = claim  # type: ignore[method-assign]
    dispatcher._deliver = deliver  # type: ignore[method-assign]
    assert await dispatcher.dispatch_once() == 3
    assert sorted(delivered) == [1, 2]


async def test_the_dispatcher_keeps_running_after_an_unexpected_error_in_a_round() -> None:
    dispatcher = _dispatcher()
    rounds: list[int] = []

    async def dispatch_once() -> int:
        rounds.append(1)
        if len(rounds) == 1:
            raise ValueError("unexpected")
        return 0

    dispatcher.dispatch_once = dispatch_once  # type: ignore[method-assign]
    task = asyncio.create_task(dispatcher.run())
    await asyncio.sleep(0.3)
    assert not task.done(), task
    task.cancel()
    assert len(rounds) > 2
