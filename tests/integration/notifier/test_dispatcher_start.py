"""The notifier's start, through its runtime's lifespan on the run's real PostgreSQL and
RabbitMQ: what its dispatcher does before the first SMS asks for it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from litestar import Litestar
from prometheus_client import REGISTRY

from notifier import bootstrap
from notifier.adapters.holiday_calendar import _closed_in_year, closed_days
from notifier.bootstrap import create_runtime
from notifier.config import NotifierSettings
from notifier.entrypoints.loops import DispatcherLoop
from tests.fakes.notifier_kit import Clock
from tests.infra import Infra
from tests.integration.harness import eventually


async def test_the_dispatcher_builds_every_states_closed_days_when_the_notifier_starts(
    infra: Infra,
) -> None:
    # Years no other test asks about, with nothing to send: only the start can build their
    # calendars. The first build for Brazil takes about 0.2 s, which the first SMS would wait.
    clock = Clock(datetime(2041, 3, 12, 15, 0, tzinfo=UTC))
    runtime = create_runtime(NotifierSettings.from_env(infra.service_env("ntfstart")), clock)
    _closed_in_year.cache_clear()

    async def every_state_built() -> bool:
        return _closed_in_year.cache_info().currsize == 27 * 2  # 26 states and the DF, 2 years

    async with runtime.lifespan(Litestar()):
        await eventually(every_state_built, timeout=30)
    before = _closed_in_year.cache_info().hits
    assert date(2041, 7, 9) in closed_days("SP", [2041])  # Revolução Constitucionalista
    assert closed_days("RR", [2042])  # this year and the next
    assert _closed_in_year.cache_info().hits == before + 2


async def test_a_failed_warm_up_leaves_the_dispatcher_sending(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up only saves the first SMS a wait: if it fails, the dispatcher still starts
    (the first SMS then builds its calendar, as before)."""

    def broken(years: object) -> None:
        raise RuntimeError("the holidays package failed")

    monkeypatch.setattr(bootstrap, "warm_closed_days", broken)
    runtime = create_runtime(NotifierSettings.from_env(infra.service_env("ntfstart")), Clock())

    def rounds() -> float:
        labels = {"loop": DispatcherLoop.NAME}
        return REGISTRY.get_sample_value("etapa_loop_rounds_total", labels) or 0.0

    before = rounds()

    async def dispatching() -> bool:
        return rounds() > before

    async with runtime.lifespan(Litestar()):
        await eventually(dispatching, timeout=30)
