"""Sending an action waits a bounded time for workflow's outcome, and no longer."""

from __future__ import annotations

from typing import Any, cast

from console.adapters.api_client import ApiClient, Service
from console.domain.action_outcome import Outcome
from console.usecases.act_on_order import act_on_order

REQUESTED = "2026-12-02T13:00:05.123456+00:00"


class FakeApi:
    """Intake accepts at once; workflow shows the outcome after ``ready_after`` reads."""

    def __init__(self, ready_after: int | None) -> None:
        self.ready_after = ready_after
        self.reads = 0
        self.sent: list[tuple[dict[str, Any], dict[str, str] | None]] = []

    async def post(self, service: Service, path: str, **kwargs: Any) -> dict[str, Any]:
        self.sent.append((kwargs["json"], kwargs.get("headers")))
        return {"kind": "advance", "requested_at": REQUESTED, "actor": "Alice"}

    async def get(self, service: Service, path: str, **kwargs: Any) -> dict[str, Any]:
        self.reads += 1
        timeline = []
        if self.ready_after is not None and self.reads >= self.ready_after:
            timeline.append(
                {
                    "occurred_at": REQUESTED,
                    "actor": "Alice",
                    "kind": "stage_entered",
                    "summary": "Entrou na etapa “Montagem”.",
                    "detail": {},
                }
            )
        return {"timeline": timeline}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def send(api: FakeApi, clock: Clock) -> Any:
    return await act_on_order(
        cast(ApiClient, api),
        "token",
        "order-1",
        {"action": "advance"},
        "key-advance",
        wait=4.0,
        every=0.5,
        sleep=clock.sleep,
        clock=clock,
    )


async def test_the_outcome_is_returned_as_soon_as_workflow_shows_it() -> None:
    api, clock = FakeApi(ready_after=3), Clock()
    sent = await send(api, clock)
    assert sent.outcome == Outcome(True, "Avançada para Montagem")
    assert api.reads == 3
    assert clock.now == 1.0
    assert api.sent == [({"action": "advance"}, {"Idempotency-Key": "key-advance"})]


async def test_the_wait_is_bounded_when_workflow_is_slow() -> None:
    api, clock = FakeApi(ready_after=None), Clock()
    sent = await send(api, clock)
    assert sent.outcome is None
    assert sent.pending.action == "advance"
    assert sent.pending.actor == "Alice"
    assert clock.now == 4.0
    assert api.reads == 9
