"""Handlers' dependencies, one after another (``shared.dependency_order``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar._kwargs import kwargs_model
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


def test_litestar_still_has_what_is_replaced() -> None:
    """An upgrade that moves these fails here, not silently in production."""
    assert callable(kwargs_model.KwargsModel.resolve_dependencies)
    assert hasattr(kwargs_model, "create_task_group")
    model_fields = kwargs_model.KwargsModel.__slots__
    assert "dependency_batches" in model_fields
