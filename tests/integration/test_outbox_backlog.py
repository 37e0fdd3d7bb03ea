"""The outbox backlog gauges read the real table: an event left unpublished shows in the count
and the age of the service's gauges, which the running service samples on its own."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY

from shared.outbox_backlog import read_backlog, sample_once
from tests.integration.harness import RunningServices, eventually

pytestmark = pytest.mark.integration


async def test_an_unpublished_event_shows_in_the_backlog_and_its_age(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    pool = await asyncpg.create_pool(services.env["INTAKE_DATABASE_URL"], min_size=1, max_size=2)
    message_id = uuid.uuid4()
    try:
        # ten minutes old, and not due for an hour: the relay leaves it where it is
        await pool.execute(
            """
            INSERT INTO outbox (message_id, chain_id, routing_key, payload, correlation_id,
                                created_at, next_attempt_at)
            VALUES ($1, $2, 'nobody.listens.v1', '{}', 'test-backlog',
                    now() - interval '10 minutes', now() + interval '1 hour')
            """,
            message_id,
            uuid.uuid4(),
        )
        async with pool.acquire() as conn:
            backlog, oldest_age = await read_backlog(conn)
        assert backlog >= 1
        assert oldest_age >= 600  # by the database's clock

        await sample_once(pool, "backlog-test")
        labels = {"service": "backlog-test"}
        assert REGISTRY.get_sample_value("etapa_outbox_backlog", labels) == backlog
        assert (REGISTRY.get_sample_value("etapa_outbox_oldest_age_seconds", labels) or 0) >= 600

        async def served_by_intake() -> bool:  # its own loop, every few seconds
            text = (await http.get(f"{services.urls['intake']}/metrics")).text
            line = next(
                (
                    line
                    for line in text.splitlines()
                    if line.startswith('etapa_outbox_oldest_age_seconds{service="intake"}')
                ),
                "",
            )
            return bool(line) and float(line.split()[-1]) >= 600

        await eventually(served_by_intake, timeout=15)
    finally:
        await pool.execute("DELETE FROM outbox WHERE message_id = $1", message_id)
        await pool.close()
