"""The services of the integration tests, started once per session in this process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from shared.database import create_pool, drop_database, migrate
from shared.runtime import SHARED_MIGRATIONS
from tests.infra import OPERATOR_KEY, Infra, bearer
from tests.integration.harness import RunningServices, eventually, save_test_flow


@pytest.fixture(scope="session")
async def services(infra: Infra) -> AsyncIterator[RunningServices]:
    running = RunningServices(
        env=infra.service_env(
            "int",
            NOTIFIER_DISPATCH_INTERVAL="0.1",
            WORKFLOW_RISK_SWEEP_INTERVAL="0.2",
            NOTIFIER_SENDING_HOURS="always",
            ETAPA_TRACKING_BASE_URL="https://acompanhe.example.com.br",
            # The tests call from 127.0.0.1 like the console; X-Forwarded-For names the client.
            WORKFLOW_TRACKING_TRUSTED_PROXIES="127.0.0.1",
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
    headers: dict[str, str]
    """A chain administrator's token."""


@pytest.fixture
async def chain(services: RunningServices, http: httpx.AsyncClient) -> SeededChain:
    """A new chain with one São Paulo branch and the test flow ``teste``."""
    seeded = await chain_without_flows(services, http)
    await save_test_flow(services.env["WORKFLOW_DATABASE_URL"], uuid.UUID(seeded.chain_id))
    return seeded


async def chain_without_flows(services: RunningServices, http: httpx.AsyncClient) -> SeededChain:
    """A new chain with one São Paulo branch and no flow: workflow has published no type yet."""
    tag = uuid.uuid4().hex[:6].upper()
    chain_id = await create_chain(services, http, f"Rede {tag}")
    headers = bearer(chain_id)
    branch = await http.post(
        f"{services.urls['intake']}/api/v1/branches",
        headers=headers,
        json={
            "code": f"S{tag[:5]}",
            "name": f"Loja {tag}",
            "state": "SP",
            "city": "São Paulo",
            "timezone": "America/Sao_Paulo",
            "phone": "(11) 3253-1000",
        },
    )
    assert branch.status_code == 201, branch.text
    seeded = SeededChain(chain_id=chain_id, branch=branch.json(), headers=headers)
    await known_to_workflow(services, http, seeded, branch.json()["branch_id"])
    return seeded


async def known_to_workflow(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain, branch_id: str
) -> None:
    """Wait until workflow's copy of the branch has come (its calendar answers)."""

    async def known() -> bool:
        response = await http.get(
            f"{services.urls['workflow']}/api/v1/branches/{branch_id}/calendar",
            headers=chain.headers,
        )
        return response.status_code == 200

    await eventually(known)


async def create_chain(services: RunningServices, http: httpx.AsyncClient, name: str) -> str:
    """A new chain (with a first admin) created with the operator key; returns its id."""
    created = await http.post(
        f"{services.urls['intake']}/api/v1/chains",
        headers={"X-Operator-Key": OPERATOR_KEY},
        json={
            "name": name,
            "admin": {
                "email": f"admin-{uuid.uuid4().hex[:8]}@example.com",
                "name": "Admin",
                "password": "senha-de-teste-123",
            },
        },
    )
    assert created.status_code == 201, created.text
    chain_id: str = created.json()["chain_id"]
    return chain_id


@pytest.fixture
async def admin_http(chain: SeededChain) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as the ``chain`` fixture's administrator."""
    async with httpx.AsyncClient(timeout=10, headers=chain.headers) as client:
        yield client


def order_body(branch_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "branch_id": branch_id,
        "service_type": "teste",
        "customer": {"name": "JOÃO DA SILVA", "phone": "11 98765-4321", "sms_consent": True},
    }
    body.update(overrides)
    return body


@pytest.fixture
async def scratch_pool(infra: Infra) -> AsyncIterator[asyncpg.Pool]:
    """A pool (3 connections) on a fresh database with only the shared migrations (outbox,
    inbox), dropped after the test."""
    url = infra.database_url("scratch", f"_{uuid.uuid4().hex[:8]}")
    await migrate(url, SHARED_MIGRATIONS)
    created = await create_pool(url, min_size=1, max_size=3)
    try:
        yield created
    finally:
        await created.close()
        await drop_database(url)


ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


async def refused_in_both_languages(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    portuguese: str,
    in_english: str,
    *,
    headers: dict[str, str] | None = None,
    **request: Any,
) -> None:
    """The request is refused with a 400 whose detail is ``portuguese`` by default and
    ``in_english`` when English is asked for, each saying so in Content-Language."""
    for extra, language, detail in (({}, "pt-BR", portuguese), (ENGLISH, "en", in_english)):
        response = await client.request(method, url, headers=(headers or {}) | extra, **request)
        assert response.status_code == 400, response.text
        assert response.headers["content-language"] == language
        assert response.json()["detail"] == detail
