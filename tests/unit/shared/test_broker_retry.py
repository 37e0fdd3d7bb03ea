"""A broker that is away when a process connects is waited for, the pause doubling up to a cap
(``shared.messaging.until_broker_answers``: the service's broker and its relay thread's)."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from shared import messaging


async def test_a_broker_away_is_tried_again_with_a_doubling_pause_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(messaging, "BROKER_FIRST_PAUSE", 0.001)
    monkeypatch.setattr(messaging, "BROKER_MAX_PAUSE", 0.016)
    tries = 0

    async def connect() -> None:
        nonlocal tries
        tries += 1
        if tries <= 7:
            raise ConnectionRefusedError("broker away")

    with capture_logs() as logged:
        await messaging.until_broker_answers(connect, event="broker_unavailable_retrying")
    assert tries == 8
    pauses = [e["retry_in"] for e in logged if e["event"] == "broker_unavailable_retrying"]
    assert pauses == [0.001, 0.002, 0.004, 0.008, 0.016, 0.016, 0.016]
    assert {e["error"] for e in logged} == {"broker away"}


async def test_an_attempt_that_succeeds_is_not_repeated() -> None:
    tries: list[int] = []

    async def connect() -> None:
        tries.append(1)

    await messaging.until_broker_answers(connect, event="broker_unavailable_retrying")
    assert tries == [1]
