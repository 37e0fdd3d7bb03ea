"""The three services as separate processes (`python -m <service> serve`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.infra import Infra
from tests.integration.harness import wait_until_ready
from tests.processes import running_services

CALLBACK_TOKEN = "e2e-callback-token-0123456789abcdef"
"""The providers' callbacks are on, so the fuzz run reaches them (off, they answer 403)."""


@pytest.fixture(scope="session")
def processes(infra: Infra) -> Iterator[dict[str, str]]:
    with running_services(
        infra,
        "e2e",
        NOTIFIER_DISPATCH_INTERVAL="0.2",
        NOTIFIER_SENDING_HOURS="always",
        NOTIFIER_CALLBACK_TOKEN=CALLBACK_TOKEN,
    ) as urls:
        yield urls


@pytest.fixture(scope="session")
async def http(processes: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        for service in ("intake", "workflow", "notifier"):
            await wait_until_ready(client, processes[service], timeout=60)
        yield client
