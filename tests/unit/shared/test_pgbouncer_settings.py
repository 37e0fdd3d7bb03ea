"""Settings for running the pools through PgBouncer in transaction mode (README, "Database
connections"): a direct URL for what needs a session, no named prepared statements, and a
relay that can do without LISTEN. The real PgBouncer is in tests/e2e/test_pgbouncer.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.outbox import OutboxRelay, RelayRound
from shared.settings import ServiceSettings, SettingsError

POOLED = "postgresql://etapa_intake:pw@etapa-pgbouncer:6432/etapa_intake"
DIRECT = "postgresql://etapa_intake:pw@db.internal:5432/etapa_intake"


def test_without_pgbouncer_settings_everything_goes_to_the_one_url_as_before() -> None:
    settings = ServiceSettings.from_env("intake", 8000, env={"INTAKE_DATABASE_URL": DIRECT})
    assert settings.database_direct_url == DIRECT
    assert settings.database_statement_cache_size == 100  # asyncpg's default
    assert settings.listen_url == DIRECT
    default = ServiceSettings.from_env("intake", 8000, env={})
    assert default.database_direct_url == default.database_url


def test_through_pgbouncer_sessions_go_direct_and_statements_are_unnamed() -> None:
    settings = ServiceSettings.from_env(
        "intake",
        8000,
        env={
            "INTAKE_DATABASE_URL": POOLED,
            "INTAKE_DATABASE_DIRECT_URL": DIRECT,
            "INTAKE_DATABASE_STATEMENT_CACHE_SIZE": "0",
            "WORKFLOW_DATABASE_DIRECT_URL": "postgresql://someone-else/",  # not intake's
        },
    )
    assert settings.database_url == POOLED
    assert settings.database_direct_url == DIRECT
    assert settings.database_statement_cache_size == 0
    assert settings.listen_url == DIRECT


def test_the_relay_may_give_up_listen_and_poll() -> None:
    on = ServiceSettings.from_env("notifier", 8002, env={"NOTIFIER_OUTBOX_LISTEN": "true"})
    off = ServiceSettings.from_env("notifier", 8002, env={"NOTIFIER_OUTBOX_LISTEN": "false"})
    assert on.listen_url == on.database_direct_url
    assert off.listen_url is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"WORKFLOW_DATABASE_STATEMENT_CACHE_SIZE": "-1"},
            "WORKFLOW_DATABASE_STATEMENT_CACHE_SIZE",
        ),
        ({"WORKFLOW_OUTBOX_LISTEN": "maybe"}, "WORKFLOW_OUTBOX_LISTEN must be true or false"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        ServiceSettings.from_env("workflow", 8001, env=env)


async def test_a_relay_without_a_listen_url_opens_no_listen_connection_and_still_relays() -> None:
    async def publish(_message: Any) -> None:
        return None

    relay = OutboxRelay(None, publish, database_url=None, poll_interval=0.01)  # type: ignore[arg-type]
    rounds: list[int] = []

    async def publish_pending() -> RelayRound:
        rounds.append(1)
        return RelayRound(0)

    listened: list[str] = []

    async def listen(url: str) -> None:
        listened.append(url)

    relay.publish_pending = publish_pending  # type: ignore[method-assign]
    relay._listen = listen  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    try:
        for _ in range(200):
            if len(rounds) > 2:
                break
            await asyncio.sleep(0.01)
        assert len(rounds) > 2  # polling alone
        assert listened == []  # no LISTEN connection was tried
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
