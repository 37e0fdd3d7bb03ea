"""Handlers' dependencies, one after another (``shared.dependency_order``)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import litestar
import pytest
from litestar import Litestar, get
from litestar._kwargs import kwargs_model
from litestar._kwargs.dependencies import resolve_dependency
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.testing import AsyncTestClient

from shared.dependency_order import resolve_in_order

Named = NamedDependency[Any]


def _app(events: list[str]) -> Litestar:
    def clock() -> str:
        events.append("clock")
        return "relógio"

    def actor(clock: Named) -> str:  # depends on another: a later batch
        events.append("actor")
        return f"ator ({clock})"

    async def transactions() -> AsyncIterator[str]:
        events.append("begin")
        yield "transações"
        events.append("cleanup")

    def refused() -> str:
        raise NotAuthorizedException("sem sessão")

    @get("/pronto", sync_to_thread=False)
    def ready(clock: Named, actor: Named, transactions: Named, new_id: Named) -> dict[str, str]:
        events.append("handler")
        return {"clock": clock, "actor": actor, "transactions": transactions, "id": new_id}

    @get("/recusado", sync_to_thread=False)
    def refusing(clock: Named, refused: Named) -> str:
        return "nunca"

    return Litestar(
        [ready, refusing],
        dependencies={
            "clock": Provide(clock, sync_to_thread=False),
            "actor": Provide(actor, sync_to_thread=False),
            "transactions": Provide(transactions),
            "new_id": Provide(lambda: "id-1", sync_to_thread=False),
            "refused": Provide(refused, sync_to_thread=False),
        },
    )


def _no_task_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("a task group was opened to resolve dependencies")

    monkeypatch.setattr(kwargs_model, "create_task_group", refuse)


async def test_every_dependency_is_resolved_in_its_batch_order_without_a_task_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolve_in_order()
    _no_task_groups(monkeypatch)
    events: list[str] = []
    async with AsyncTestClient(_app(events)) as client:
        answer = await client.get("/pronto")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "clock": "relógio",
        "actor": "ator (relógio)",
        "transactions": "transações",
        "id": "id-1",
    }
    assert events.index("clock") < events.index("actor") < events.index("handler")
    assert events[-1] == "cleanup"  # a generator dependency is closed after the handler


async def test_a_dependency_that_refuses_answers_as_it_would_in_a_task_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolve_in_order()
    _no_task_groups(monkeypatch)
    async with AsyncTestClient(_app([])) as client:
        answer = await client.get("/recusado")

    assert answer.status_code == 401
    assert answer.json()["detail"] == "sem sessão"


def test_litestar_is_the_version_the_replacement_was_written_for() -> None:
    """An upgrade fails here, not silently in production: read Litestar's new
    ``KwargsModel.resolve_dependencies`` again (and drop the replacement if issue #4563 is
    fixed), then move this pin. The replacement calls ``resolve_dependency`` with these four
    arguments and walks ``dependency_batches``."""
    assert litestar.__version__.formatted(short=True) == "2.25.0"
    assert list(inspect.signature(resolve_dependency).parameters) == [
        "dependency",
        "connection",
        "kwargs",
        "cleanup_group",
    ]
    assert "dependency_batches" in kwargs_model.KwargsModel.__slots__
