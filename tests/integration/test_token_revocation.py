"""A deactivated or changed user's old token stops working on every API at once (issue 15, item 3).

Before: a deactivated manager kept their token's power until it expired (30 minutes) and
created a user whose password they knew.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices

pytestmark = pytest.mark.integration
PASSWORD = "uma-senha-longa-1"
READS = {
    "intake": "/api/v1/branches",
    "workflow": "/api/v1/orders",
    "notifier": "/api/v1/messages",
}


async def _new_user(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain, role: str
) -> tuple[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    response = await http.post(
        f"{services.urls['intake']}/api/v1/users",
        headers=chain.headers,
        json={
            "email": email,
            "name": "Gerente Teste",
            "role": role,
            "branch_ids": [chain.branch["branch_id"]],
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["user_id"], email


async def _sign_in(services: RunningServices, http: httpx.AsyncClient, email: str) -> str:
    response = await http.post(
        f"{services.urls['intake']}/api/v1/auth/token",
        json={"email": email, "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 15 * 60
    token: str = response.json()["access_token"]
    return token


async def _statuses(
    services: RunningServices, http: httpx.AsyncClient, token: str
) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    answers = await asyncio.gather(
        *(http.get(services.urls[name] + path, headers=headers) for name, path in READS.items())
    )
    return {name: answer.status_code for name, answer in zip(READS, answers, strict=True)}


async def _refused_everywhere_within(
    services: RunningServices, http: httpx.AsyncClient, token: str, seconds: float
) -> float:
    """How long after now every API refuses ``token``; fails after ``seconds``."""
    started = time.monotonic()
    while True:
        statuses = await _statuses(services, http, token)
        if set(statuses.values()) == {401}:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, statuses
        await asyncio.sleep(0.1)


async def test_a_deactivated_managers_old_token_is_refused_by_all_three_apis(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    user_id, email = await _new_user(services, http, chain, "branch_manager")
    token = await _sign_in(services, http, email)
    assert await _statuses(services, http, token) == dict.fromkeys(READS, 200)

    response = await http.patch(
        f"{services.urls['intake']}/api/v1/users/{user_id}",
        headers=chain.headers,
        json={"active": False},
    )
    assert response.status_code == 200, response.text
    await _refused_everywhere_within(services, http, token, seconds=3)

    refusal = await http.post(
        f"{services.urls['intake']}/api/v1/users",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "email": f"cumplice-{uuid.uuid4().hex[:6]}@example.com",
            "name": "Cúmplice",
            "role": "attendant",
            "branch_ids": [chain.branch["branch_id"]],
            "password": PASSWORD,
        },
    )
    assert refusal.status_code == 401
    assert "revogado" in refusal.json()["detail"]
    renewal = await http.post(
        f"{services.urls['intake']}/api/v1/auth/refresh",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert renewal.status_code == 401


async def test_a_role_change_revokes_and_signing_in_again_at_once_works(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    user_id, email = await _new_user(services, http, chain, "attendant")
    old = await _sign_in(services, http, email)
    response = await http.patch(
        f"{services.urls['intake']}/api/v1/users/{user_id}",
        headers=chain.headers,
        json={"role": "viewer"},
    )
    assert response.status_code == 200, response.text
    new = await _sign_in(services, http, email)  # in the same second as the change, often
    await _refused_everywhere_within(services, http, old, seconds=3)
    assert await _statuses(services, http, new) == dict.fromkeys(READS, 200)


async def test_a_name_change_keeps_the_token(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    user_id, email = await _new_user(services, http, chain, "attendant")
    token = await _sign_in(services, http, email)
    response = await http.patch(
        f"{services.urls['intake']}/api/v1/users/{user_id}",
        headers=chain.headers,
        json={"name": "Outro Nome"},
    )
    assert response.status_code == 200, response.text
    await asyncio.sleep(1.5)  # longer than a revocation takes to reach every service
    assert await _statuses(services, http, token) == dict.fromkeys(READS, 200)
