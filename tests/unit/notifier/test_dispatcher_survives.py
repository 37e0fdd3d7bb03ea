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

    async def claim(limit: int) -> list[dict[str, Any]]:
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

    async def claim(limit: int) -> list[dict[str, Any]]:
        rounds.append(1)
        if len(rounds) == 1:
            raise ValueError("unexpected")
        return []

    dispatcher._claim = claim  # type: ignore[method-assign]
    task = asyncio.create_task(dispatcher.run())
    await asyncio.sleep(0.3)
    assert not task.done(), task
    task.cancel()
    assert len(rounds) > 2


async def test_a_hanging_send_holds_one_slot_and_the_others_keep_being_claimed() -> None:
    dispatcher = _dispatcher()  # batch_size 20
    due = list(range(100))
    limits: list[int] = []
    delivered: list[int] = []
    release = asyncio.Event()

    async def claim(limit: int) -> list[dict[str, Any]]:
        limits.append(limit)
        taken, due[:] = due[:limit], due[limit:]
        return [{"notification_id": n} for n in taken]

    async def deliver(message: dict[str, Any]) -> None:
        if message["notification_id"] % 10 == 0:  # 10 of them hang until released
            await release.wait()
        else:
            await asyncio.sleep(0)
        delivered.append(message["notification_id"])

    dispatcher._claim = claim  # type: ignore[method-assign]
    dispatcher._deliver = deliver  # type: ignore[method-assign]
    task = asyncio.create_task(dispatcher.run())
    for _ in range(500):
        if len(delivered) == 90:
            break
        await asyncio.sleep(0.01)
    # Every message that does not hang went out while the ten hanging ones held ten slots.
    assert sorted(delivered) == [n for n in range(100) if n % 10]
    assert limits[0] == 20  # claims only for the slots that are free
    assert limits[-1] == 10
    release.set()
    for _ in range(100):
        if len(delivered) == 100:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert sorted(delivered) == list(range(100))
