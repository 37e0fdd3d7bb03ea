"""``make chaos``: every fault in turn, each under a steady mixed load, ``CHAOS_RUNS`` times.

Each run prints its row of the table (see ``tests/chaos/measure.py`` for what each column
counts) and fails when an SMS was lost or sent for a stage entry no action caused, an order is
not where its actions put it or carries a refusal they did not call for, or a real event is in a
dead-letter queue. Duplicates the provider dropped by idempotency key are counted, not failed.
"""

from __future__ import annotations

import pytest

from tests.chaos.conftest import NOTES, ROWS
from tests.chaos.runner import run_once
from tests.chaos.scenarios import SCENARIOS, Settings
from tests.own_broker import OwnRabbitMQ
from tests.own_postgres import OwnPostgres

pytestmark = pytest.mark.chaos
SETTINGS = Settings.from_env()
CASES = [
    (scenario, run)
    for scenario in SETTINGS.only or SCENARIOS  # in the order CHAOS_SCENARIOS names them
    for run in range(SETTINGS.runs)
]


@pytest.mark.parametrize(("scenario", "run"), CASES, ids=[f"{s}-{r + 1}" for s, r in CASES])
async def test_nothing_lost_nothing_twice_nothing_out_of_place(
    scenario: str, run: int, chaos_broker: OwnRabbitMQ, chaos_postgres: OwnPostgres
) -> None:
    row, notes = await run_once(scenario, run, SETTINGS, chaos_broker, chaos_postgres)
    ROWS.append(row)
    NOTES.extend(f"{scenario} run {run + 1}: {note}" for note in notes)
    print(f"\n{scenario} run {run + 1}: {row}")
    for note in notes:
        print(f"  {note}")
    assert row.ok, f"{row}\n" + "\n".join(notes)
