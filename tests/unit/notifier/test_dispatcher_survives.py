"""An unexpected error in one send, or in a whole round, never ends the dispatcher; a
dispatcher that stops completing rounds turns ``/ready`` red."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from notifier.entrypoints.loops import LOOP_ERRORS, DispatcherLoop, LoopHealth


class _Providers:
    async def aclose(self) -> None:
        return None


@dataclass
class _Dispatch:
    """Stands in for ``DispatchMessages``: the loop only calls ``claim`` and ``deliver``."""

    providers: _Providers = field(default_factory=_Providers)

    async def claim(self, limit: int) -> list[Any]:
        return []

    async def deliver(self, message: Any) -> None:
        return None


def _message(n: int) -> Any:
    return SimpleNamespace(
        key=SimpleNamespace(notification_id=n, order_id=n, correlation_id=None),
        order_number=f"SP01-{n:06d}",
        attempts=1,
        trace_context=None,
    )


def _dispatcher(dispatch: _Dispatch, health: LoopHealth | None = None) -> DispatcherLoop:
    return DispatcherLoop(dispatch, interval=0.01, health=health)  # type: ignore[arg-type]


def _errors(scope: str) -> float:
    value: float = LOOP_ERRORS.labels(loop="dispatcher", scope=scope)._value.get()
    return value


async def test_one_messages_unexpected_error_does_not_stop_the_others() -> None:
    dispatch = _Dispatch()
    delivered: list[int] = []

    async def claim(limit: int) -> list[Any]:
        return [_message(n) for n in range(3)]

    async def deliver(message: Any) -> None:
        if message.key.notification_id == 0:
            raise KeyError("a bug in one message")
        await asyncio.sleep(0.05)
        delivered.append(message.key.notification_id)

    dispatch.claim = claim  # type: ignore[method-assign]
    dispatch.deliver = deliver  # type: ignore[method-assign]
    before = _errors("message")
    assert await _dispatcher(dispatch).dispatch_once() == 3
    assert sorted(delivered) == [1, 2]
    assert _errors("message") == before + 1


async def test_the_dispatcher_keeps_running_after_an_unexpected_error_in_a_round() -> None:
    dispatch = _Dispatch()
    rounds: list[int] = []

    async def claim(limit: int) -> list[Any]:
        rounds.append(1)
        if len(rounds) == 1:
            raise ValueError("unexpected")
        return []

    dispatch.claim = claim  # type: ignore[method-assign]
    before = _errors("round")
    task = asyncio.create_task(_dispatcher(dispatch).run())
    await asyncio.sleep(0.3)
    assert not task.done(), task
    task.cancel()
    assert len(rounds) > 2
    assert _errors("round") == before + 1


async def test_a_hanging_send_holds_one_slot_and_the_others_keep_being_claimed() -> None:
    dispatch = _Dispatch()  # batch_size 20
    due = list(range(100))
    limits: list[int] = []
    delivered: list[int] = []
    release = asyncio.Event()

    async def claim(limit: int) -> list[Any]:
        limits.append(limit)
        taken, due[:] = due[:limit], due[limit:]
        return [_message(n) for n in taken]

    async def deliver(message: Any) -> None:
        if message.key.notification_id % 10 == 0:  # 10 of them hang until released
            await release.wait()
        else:
            await asyncio.sleep(0)
        delivered.append(message.key.notification_id)

    dispatch.claim = claim  # type: ignore[method-assign]
    dispatch.deliver = deliver  # type: ignore[method-assign]
    task = asyncio.create_task(_dispatcher(dispatch).run())
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


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_ready_turns_red_when_a_loop_has_not_completed_a_round_within_its_deadline() -> None:
    clock = _Clock()
    health = LoopHealth(monotonic=clock)
    health.register("dispatcher", deadline=60)
    await health.check()  # just started: within its deadline
    clock.now += 59
    health.beat("dispatcher")
    clock.now += 59
    await health.check()  # a round 59 s ago
    clock.now += 2
    with pytest.raises(RuntimeError, match=r"dispatcher: no round completed for 61 s"):
        await health.check()
    health.beat("dispatcher")
    await health.check()  # green again once it completes a round


async def test_a_stuck_dispatcher_stops_beating_and_a_running_one_keeps_ready_green() -> None:
    """A claim that hangs (a database that never answers) stops the rounds: the check fails."""
    clock = _Clock()
    health = LoopHealth(monotonic=clock)
    dispatch = _Dispatch()
    hang = asyncio.Event()

    async def claim(limit: int) -> list[Any]:
        if hang.is_set():
            await asyncio.Event().wait()  # never returns
        return []

    dispatch.claim = claim  # type: ignore[method-assign]
    task = asyncio.create_task(_dispatcher(dispatch, health).run())
    try:
        for _ in range(3):
            clock.now += 30
            await asyncio.sleep(0.05)  # rounds every 10 ms beat the heart
            await health.check()
        hang.set()
        await asyncio.sleep(0.05)
        clock.now += 61
        with pytest.raises(RuntimeError, match="dispatcher: no round completed"):
            await health.check()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_ready_names_the_stuck_loop_as_a_503() -> None:
    """``/ready`` runs the loops' check with the database and broker checks."""
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from shared.web import health_handlers

    clock = _Clock()
    health = LoopHealth(monotonic=clock)
    health.register("dispatcher", deadline=60)
    app = Litestar(route_handlers=health_handlers({"loops": health.check}))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/ready")).status_code == 200
        clock.now += 120
        answer = await client.get("/ready")
    assert answer.status_code == 503
    assert "dispatcher: no round completed for 120 s" in answer.json()["failing"]["loops"]


async def test_the_notifiers_runtime_expects_the_dispatcher_from_the_start() -> None:
    """Wired in the composition root: a dispatcher that never starts turns ``/ready`` red too."""
    from notifier.bootstrap import create_runtime, dispatch_policy, dispatcher_deadline
    from notifier.config import NotifierSettings

    settings = NotifierSettings.from_env({"ETAPA_ENV": "test"})
    runtime = create_runtime(settings)
    await runtime.loop_health.check()
    deadline = dispatcher_deadline(dispatch_policy(settings))
    assert deadline > dispatch_policy(settings).lease_seconds
    # no loop has run: once the deadline has passed, the dispatcher is named
    runtime.loop_health._monotonic = lambda: time.monotonic() + deadline + 1
    with pytest.raises(RuntimeError, match="dispatcher: no round completed"):
        await runtime.loop_health.check()
