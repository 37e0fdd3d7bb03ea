"""The three services as separate processes (`python -m <service> serve`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from tests.infra import Infra
from tests.integration.harness import free_port, wait_until_ready

LOGS = Path(os.environ.get("ETAPA_E2E_LOG_DIR", "/tmp"))


@pytest.fixture(scope="session")
def processes(infra: Infra) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        **infra.service_env(
            "e2e", NOTIFIER_DISPATCH_INTERVAL="0.2", NOTIFIER_SENDING_HOURS="always"
        ),
    }
    urls: dict[str, str] = {}
    started: list[tuple[subprocess.Popen[bytes], BinaryIO]] = []
    for service in ("intake", "workflow", "notifier"):
        port = free_port()
        env[f"{service.upper()}_PORT"] = str(port)
        urls[service] = f"http://127.0.0.1:{port}"
        log = (LOGS / f"etapa-e2e-{infra.run_id}-{service}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", service, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        started.append((process, log))
    urls["workflow_database"] = env["WORKFLOW_DATABASE_URL"]
    try:
        yield urls
    finally:
        for process, _ in started:
            process.terminate()
        for process, log_file in started:
            process.wait(timeout=20)
            log_file.close()


@pytest.fixture(scope="session")
async def http(processes: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        for service in ("intake", "workflow", "notifier"):
            await wait_until_ready(client, processes[service], timeout=60)
        yield client
