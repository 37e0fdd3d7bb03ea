"""One polling-loop helper (``shared.loops``) for the relay, the sweeper, the dispatcher and the
token-validity reload: no exception ends a loop, each completed round beats ``/ready``'s heart,
and every service's ``/ready`` checks its loops."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from shared.loops import LOOP_ERRORS, LoopHealth, PollingLoop
from shared.outbox import RELAY_LOOP, OutboxRelay, RelayRound


def _errors(loop: str) -> float:
    value: float = LOOP_ERRORS.labels(loop=loop, scope="round")._value.get()
    return value


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _until(condition: Any, tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def test_a_loop_lives_through_a_bug_and_a_database_outage_and_beats_only_on_success() -> None:
    clock = _Clock()
    health = LoopHealth(monotonic=clock)
    rounds: list[str] = []
    failures: list[BaseException] = [
        KeyError("a bug"),
        ConnectionRefusedError("database away"),
        asyncpg.PostgresError("refused"),
    ]

    async def round() -> bool:
        if failures:
            rounds.append("failed")
            raise failures.pop(0)
        rounds.append("ok")
        return False

    before = _errors("test-survives")
    loop = PollingLoop("test-survives", round, interval=0.01, deadline=60, health=health)
    task = asyncio.create_task(loop.run())
    try:
        clock.now += 61  # no round completed yet: past its deadline
        with pytest.raises(RuntimeError, match="test-survives: no round completed for 61 s"):
            await health.check()
        await _until(lambda: rounds.count("ok") >= 2)
        assert rounds[:3] == ["failed"] * 3
        assert _errors("test-survives") == before + 3
        await health.check()  # a round completed since: green again
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()  # cancelling still stops it


async def test_a_full_round_goes_on_at_once_and_a_wake_cuts_the_nap_short() -> None:
    wake = asyncio.Event()
    calls: list[int] = []

    async def round() -> bool:
        calls.append(len(calls))
        return len(calls) < 3  # three full batches, then nothing more

    loop = PollingLoop("test-wake", round, interval=60, deadline=120, wake=wake)
    task = asyncio.create_task(loop.run())
    try:
        await _until(lambda: len(calls) == 3)  # the full ones did not wait 60 s
        await asyncio.sleep(0.05)
        assert len(calls) == 3  # napping now
        wake.set()
        await _until(lambda: len(calls) == 4)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_relay_lives_through_an_unexpected_error_and_beats_its_heart() -> None:
    """Before, only database errors were caught: anything else ended the relay for good."""
    health = LoopHealth()

    async def publish(_message: Any) -> None:
        return None

    relay = OutboxRelay(
        None,  # type: ignore[arg-type]  # publish_pending is replaced below
        publish,
        database_url="postgresql://nobody@127.0.0.1:1/none",  # the LISTEN side retries quietly
        poll_interval=0.01,
        health=health,
    )
    batches: list[int] = []

    async def publish_pending() -> RelayRound:
        batches.append(1)
        if len(batches) == 1:
            raise ValueError("a row the relay cannot read")
        return RelayRound(0)

    relay.publish_pending = publish_pending  # type: ignore[method-assign]
    before = _errors(RELAY_LOOP)
    task = asyncio.create_task(relay.run())
    try:
        await _until(lambda: len(batches) > 2)
        assert not task.done()
        assert _errors(RELAY_LOOP) == before + 1
        assert health.loops == (RELAY_LOOP,)
        await health.check()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_risk_sweeper_lives_through_an_unexpected_error() -> None:
    from workflow.entrypoints.loops import RiskSweeper

    health = LoopHealth()
    sweeper = RiskSweeper(None, None, None, interval=0.01, health=health)  # type: ignore[arg-type]
    passes: list[int] = []

    async def sweep_once() -> int:
        passes.append(1)
        if len(passes) == 1:
            raise KeyError("an order the engine cannot read")
        return 0

    sweeper.sweep_once = sweep_once  # type: ignore[method-assign]
    before = _errors(RiskSweeper.NAME)
    task = asyncio.create_task(sweeper.run())
    try:
        await _until(lambda: len(passes) > 2)
        assert not task.done()
        assert _errors(RiskSweeper.NAME) == before + 1
        assert health.loops == ("risk-sweeper",)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_every_services_ready_checks_its_polling_loops_from_the_start() -> None:
    """The relay (every service), the sweeper (workflow) and the dispatcher (notifier) are
    expected as soon as the runtime is built: one that never starts turns ``/ready`` red."""
    import intake.bootstrap
    import notifier.bootstrap
    import workflow.bootstrap
    from intake.config import IntakeSettings
    from notifier.config import NotifierSettings
    from shared.auth import generate_key_pair
    from workflow.config import WorkflowSettings

    private, public = generate_key_pair()
    env = {"ETAPA_ENV": "test", "ETAPA_JWT_PUBLIC_KEY": public, "INTAKE_JWT_PRIVATE_KEY": private}
    runtimes = {
        "intake": intake.bootstrap.create_runtime(IntakeSettings.from_env(env)),
        "workflow": workflow.bootstrap.create_runtime(WorkflowSettings.from_env(env)),
        "notifier": notifier.bootstrap.create_runtime(NotifierSettings.from_env(env)),
    }
    expected = {
        "intake": (RELAY_LOOP,),
        "workflow": ("risk-sweeper", RELAY_LOOP),
        "notifier": ("dispatcher", "early-reports", RELAY_LOOP),
    }
    for service, runtime in runtimes.items():
        assert sorted(runtime.readiness_checks()) == ["broker", "database", "loops"], service
        assert runtime.loop_health.loops == expected[service], service
        await runtime.loop_health.check()
