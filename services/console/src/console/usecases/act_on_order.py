"""A staff action sent to intake, and its outcome looked for on workflow's timeline.

Intake answers 202 at once; workflow applies or refuses the action a moment later. The use
case waits a short, bounded time (``wait`` seconds, looking every ``every`` seconds) for the
outcome, so the person sees "Avançada para …" or "Recusada: …" rather than a silent 202; after
that the page keeps asking on its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from console.adapters.api_client import ApiClient, Service
from console.domain.action_outcome import Outcome, find_outcome
from console.domain.formatting import parse_instant
from console.usecases.order_screen import PendingAction, workflow_order

WAIT_SECONDS = 4.0
EVERY_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class ActionSent:
    pending: PendingAction
    outcome: Outcome | None
    """``None`` when workflow had not processed the action within the wait."""


async def act_on_order(
    api: ApiClient,
    token: str,
    order_id: str,
    body: dict[str, Any],
    idempotency_key: str,
    *,
    wait: float = WAIT_SECONDS,
    every: float = EVERY_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ActionSent:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    accepted = await api.post(
        Service.INTAKE,
        f"/api/v1/orders/{order_id}/actions",
        token=token,
        json=body,
        headers=headers,
    )
    requested_at = parse_instant(accepted["requested_at"])
    assert requested_at is not None
    pending = PendingAction(str(accepted["kind"]), requested_at, accepted.get("actor"))
    deadline = clock() + wait
    while True:
        detail = await workflow_order(api, token, order_id)
        if detail is not None:
            outcome = find_outcome(
                detail["timeline"], pending.action, pending.requested_at, pending.actor
            )
            if outcome is not None:
                return ActionSent(pending, outcome)
        if clock() >= deadline:
            return ActionSent(pending, None)
        await sleep(every)
