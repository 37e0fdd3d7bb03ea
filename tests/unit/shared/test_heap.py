"""``shared.heap.settle_heap``: start-up's objects frozen, the young generation walked less
often, cycles still collected; and ``serve`` settles the heap before it serves."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar

from shared import service_main
from shared.heap import YOUNG_THRESHOLD, settle_heap
from shared.settings import ServiceSettings


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    """Each test leaves the test process's collector as it found it."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_start_up_objects_are_frozen_and_the_young_generation_walked_less_often() -> None:
    gc.unfreeze()
    _, middle, old = gc.get_threshold()
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_a_cycle_made_after_start_up_is_still_collected_without_an_explicit_collect() -> None:
    settle_heap()
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    alive = weakref.ref(first)
    del first, second
    kept: list[list[int]] = []
    for _ in range(YOUNG_THRESHOLD * 30):  # past a walk of the young and middle generations
        kept.append([])
        if alive() is None:
            break
    assert alive() is None


def test_serve_settles_the_heap_after_building_the_app_and_before_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gc.unfreeze()
    seen: dict[str, Any] = {}

    def create_app() -> Litestar:
        seen["threshold_when_built"] = gc.get_threshold()[0]
        return Litestar()

    def run(app: Litestar, **_: Any) -> None:
        seen["threshold_when_served"] = gc.get_threshold()[0]
        seen["frozen_when_served"] = gc.get_freeze_count()

    async def migrate() -> None:
        return None

    monkeypatch.setattr("uvicorn.run", run)
    settings = ServiceSettings.from_env("intake", 8000, {})
    service_main.run_service_cli(settings, create_app, migrate, argv=[])
    assert seen["threshold_when_built"] != YOUNG_THRESHOLD
    assert seen["threshold_when_served"] == YOUNG_THRESHOLD
    assert seen["frozen_when_served"] > 0


def test_the_console_settles_its_heap_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    from console import __main__ as console_main

    gc.unfreeze()
    seen: dict[str, Any] = {}

    def run(app: Litestar, **_: Any) -> None:
        seen["threshold_when_served"] = gc.get_threshold()[0]
        seen["frozen_when_served"] = gc.get_freeze_count()

    monkeypatch.setattr(console_main, "create_app", lambda settings: Litestar())
    monkeypatch.setattr("uvicorn.run", run)
    monkeypatch.setattr("sys.argv", ["etapa-console"])
    console_main.main()
    assert seen["threshold_when_served"] == YOUNG_THRESHOLD
    assert seen["frozen_when_served"] > 0
