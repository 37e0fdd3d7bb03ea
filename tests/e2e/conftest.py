"""The three services as separate processes (`python -m <service> serve`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.infra import Infra
from tests.integration.harness import wait_until_ready
from tests.processes import running_services


@pytest.fixture(scope="session")
def processes(infra: Infra) -> Iterator[dict[str, str]]:
    with running_services(
        infra, "e2e", NOTIFIER_DISPATCH_INTERVAL="0.2", NOTIFIER_SENDING_HOURS="always"
    ) as urls:
        yield urls


@pytest.fixture(scope="session")
async def http(processes: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        for service in ("intake", "workflow", "notifier"):
            await wait_until_ready(client, processes[service], timeout=60)
        yield client
