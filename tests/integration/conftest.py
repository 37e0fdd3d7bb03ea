"""The services of the integration tests, started once per session in this process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.infra import Infra
from tests.integration.harness import RunningServices, save_test_flow


@pytest.fixture(scope="session")
async def services(infra: Infra) -> AsyncIterator[RunningServices]:
    running = RunningServices(
        env=infra.service_env(
            "int", NOTIFIER_DISPATCH_INTERVAL="0.1", NOTIFIER_SENDING_HOURS="always"
        )
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@dataclass(frozen=True)
class SeededChain:
    chain_id: str
    branch: dict[str, Any]


@pytest.fixture
async def chain(services: RunningServices, http: httpx.AsyncClient) -> SeededChain:
    """A new chain with one São Paulo branch and the test flow ``teste``."""
    tag = uuid.uuid4().hex[:6].upper()
    created = await http.post(
        f"{services.urls['intake']}/api/v1/chains", json={"name": f"Rede {tag}"}
    )
    assert created.status_code == 201, created.text
    chain_id = created.json()["chain_id"]
    branch = await http.post(
        f"{services.urls['intake']}/api/v1/branches",
        json={
            "chain_id": chain_id,
            "code": f"S{tag[:5]}",
            "name": f"Loja {tag}",
            "state": "SP",
            "city": "São Paulo",
            "timezone": "America/Sao_Paulo",
            "phone": "(11) 3253-1000",
        },
    )
    assert branch.status_code == 201, branch.text
    await save_test_flow(services.env["WORKFLOW_DATABASE_URL"], uuid.UUID(chain_id))
    return SeededChain(chain_id=chain_id, branch=branch.json())


def order_body(branch_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "branch_id": branch_id,
        "service_type": "teste",
        "customer": {"name": "JOÃO DA SILVA", "phone": "11 98765-4321", "sms_consent": True},
    }
    body.update(overrides)
    return body
