"""The chaos suite's own RabbitMQ node and PostgreSQL cluster (never the shared 5672/5432), and
the table every run adds a row to, printed at the end (and written to ``CHAOS_TABLE``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.chaos.measure import Row, table
from tests.own_broker import OwnRabbitMQ, own_rabbitmq
from tests.own_postgres import OwnPostgres, own_postgres

ROWS: list[Row] = []
NOTES: list[str] = []


@pytest.fixture(scope="session")
async def chaos_broker() -> AsyncIterator[OwnRabbitMQ]:
    async with own_rabbitmq("etapa-chaos") as node:
        yield node


@pytest.fixture(scope="session")
async def chaos_postgres() -> AsyncIterator[OwnPostgres]:
    async with own_postgres("etapa-chaos-pg", max_connections=300) as cluster:
        yield cluster


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return
    text = table(ROWS)
    terminalreporter.write_sep("=", "chaos: one row per scenario and run")
    terminalreporter.write_line(text)
    for note in NOTES:
        terminalreporter.write_line(note)
    path = os.environ.get("CHAOS_TABLE")
    if path:
        Path(path).write_text(text + "\n")
