"""A database that is away, full or starting up is waited for, never taken for a bad message or
a reason to crash (issue 16, item 5): consumers hold their message, starting processes wait."""

from __future__ import annotations

import asyncpg
import psycopg
import pytest

from shared import database, outage_hold
from shared.settings import ServiceSettings, SettingsError

OUTAGES: list[BaseException] = [
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.InternalClientError("cannot perform operation: connection is closed"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    ConnectionRefusedError(111, "Connection refused"),
    TimeoutError(),  # a pool that cannot connect in time
]


class Flaky:
    """An attempt that fails with ``errors`` in turn, then succeeds."""

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, first, most in (
        (outage_hold, "OUTAGE_FIRST_PAUSE", "OUTAGE_MAX_PAUSE"),
        (database, "STARTUP_FIRST_PAUSE", "STARTUP_MAX_PAUSE"),
    ):
        monkeypatch.setattr(module, first, 0.0)
        monkeypatch.setattr(module, most, 0.0)


async def test_a_consumer_holds_its_message_through_every_kind_of_outage() -> None:
    attempt = Flaky(OUTAGES)

    async def handle() -> None:
        await attempt()

    await outage_hold.hold_through_outages(handle, service="s", consumer="q", message_id="m1")
    assert attempt.calls == len(OUTAGES) + 1  # tried again each time, never given up


async def test_a_consumer_gives_a_real_failure_back() -> None:
    async def handle() -> None:
        raise asyncpg.UniqueViolationError("duplicate key")

    with pytest.raises(asyncpg.UniqueViolationError):
        await outage_hold.hold_through_outages(handle, service="s", consumer="q", message_id="m1")


async def test_a_batch_is_held_through_outages_and_gives_a_real_failure_back() -> None:
    attempt = Flaky(OUTAGES)

    async def handle() -> None:
        await attempt()

    held = await outage_hold.hold_batch_through_outages(
        handle, service="s", consumer="q", message_ids=["m1", "m2"], abandoned=lambda: False
    )
    assert held
    assert attempt.calls == len(OUTAGES) + 1

    async def deadlock() -> None:
        raise asyncpg.DeadlockDetectedError("deadlock detected")

    with pytest.raises(asyncpg.DeadlockDetectedError):
        await outage_hold.hold_batch_through_outages(
            deadlock, service="s", consumer="q", message_ids=["m1"], abandoned=lambda: False
        )


async def test_a_batch_whose_messages_all_went_with_their_channel_is_no_longer_held() -> None:
    attempt = Flaky(OUTAGES)

    async def handle() -> None:
        await attempt()

    held = await outage_hold.hold_batch_through_outages(
        handle, service="s", consumer="q", message_ids=["m1"], abandoned=lambda: True
    )
    assert not held
    assert attempt.calls == 1


async def test_a_starting_process_waits_through_outages_including_psycopgs() -> None:
    attempt = Flaky(
        [
            *OUTAGES,
            psycopg.errors.TooManyConnections("too many clients"),
            psycopg.OperationalError(),
        ]
    )
    assert await database.wait_for_database(attempt, step="migrate") == "done"
    assert attempt.calls == len(OUTAGES) + 3


async def test_a_starting_process_stops_on_an_error_that_is_no_outage() -> None:
    attempt = Flaky([psycopg.errors.SyntaxError("a broken migration")])
    with pytest.raises(psycopg.errors.SyntaxError):
        await database.wait_for_database(attempt, step="migrate")


def test_pool_size_and_rate_limit_have_defaults_and_per_service_settings() -> None:
    default = ServiceSettings.from_env("workflow", 8001, env={})
    assert default.database_pool_size == 10
    assert default.rate_limit_per_minute == 6000  # 100 a second: a counter integration fits
    tuned = ServiceSettings.from_env(
        "workflow",
        8001,
        env={
            "WORKFLOW_DATABASE_POOL_SIZE": "4",
            "ETAPA_RATE_LIMIT_PER_MINUTE": "1200",
            "WORKFLOW_RATE_LIMIT_PER_MINUTE": "30000",
        },
    )
    assert tuned.database_pool_size == 4
    assert tuned.rate_limit_per_minute == 30000  # the service's own setting wins
    shared = ServiceSettings.from_env("intake", 8000, env={"ETAPA_RATE_LIMIT_PER_MINUTE": "1200"})
    assert shared.rate_limit_per_minute == 1200


@pytest.mark.parametrize("name", ["NOTIFIER_DATABASE_POOL_SIZE", "ETAPA_RATE_LIMIT_PER_MINUTE"])
def test_a_pool_or_limit_below_one_names_the_variable(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        ServiceSettings.from_env("notifier", 8002, env={name: "0"})
