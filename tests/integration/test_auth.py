"""Sign-in, roles and the walls between chains and branches, over real HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.infra import OPERATOR_KEY, bearer
from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices

pytestmark = pytest.mark.integration
PASSWORD = "uma-senha-longa-1"


async def _sign_in(
    services: RunningServices, http: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await http.post(
        f"{services.urls['intake']}/api/v1/auth/token",
        json={"email": email, "password": password},
    )


async def _token(services: RunningServices, http: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await _sign_in(services, http, email)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _add_user(
    services: RunningServices,
    http: httpx.AsyncClient,
    headers: dict[str, str],
    role: str,
    branches: list[str],
) -> httpx.Response:
    return await http.post(
        f"{services.urls['intake']}/api/v1/users",
        headers=headers,
        json={
            "email": f"{role}-{uuid.uuid4().hex[:8]}@example.com",
            "name": f"Pessoa {role}",
            "role": role,
            "branch_ids": branches,
            "password": PASSWORD,
        },
    )


async def _second_branch(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> dict[str, Any]:
    response = await http.post(
        f"{services.urls['intake']}/api/v1/branches",
        headers=chain.headers,
        json={
            "code": "RJ" + uuid.uuid4().hex[:4].upper(),
            "name": "Loja Rio",
            "state": "RJ",
            "city": "Rio de Janeiro",
            "timezone": "America/Sao_Paulo",
        },
    )
    assert response.status_code == 201, response.text
    branch: dict[str, Any] = response.json()
    return branch


async def test_creating_a_chain_needs_the_operator_key(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    body = {
        "name": f"Rede {uuid.uuid4().hex[:6]}",
        "admin": {
            "email": f"a-{uuid.uuid4().hex[:6]}@example.com",
            "name": "A",
            "password": PASSWORD,
        },
    }
    url = f"{services.urls['intake']}/api/v1/chains"
    assert (await http.post(url, json=body)).status_code == 401
    wrong = await http.post(url, json=body, headers={"X-Operator-Key": "guess"})
    assert wrong.status_code == 401
    created = await http.post(url, json=body, headers={"X-Operator-Key": OPERATOR_KEY})
    assert created.status_code == 201, created.text
    assert created.json()["admin"]["role"] == "chain_admin"
    assert "password" not in created.text
    assert "hash" not in created.text

    signed_in = await _sign_in(services, http, body["admin"]["email"].upper())  # type: ignore[index]
    assert signed_in.status_code == 200
    token = signed_in.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 900
    assert token["user"]["chain_id"] == created.json()["chain_id"]


async def test_wrong_password_and_unknown_email_get_the_same_401(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    user = await _add_user(services, http, chain.headers, "attendant", [chain.branch["branch_id"]])
    wrong = await _sign_in(services, http, user.json()["email"], "not-the-password")
    unknown = await _sign_in(services, http, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "e-mail ou senha incorretos"


async def test_a_token_from_intake_opens_every_service(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    user = await _add_user(services, http, chain.headers, "viewer", [])
    headers = await _token(services, http, user.json()["email"])
    for service, path in (
        ("intake", "/api/v1/branches"),
        ("workflow", "/api/v1/orders"),
        ("workflow", "/api/v1/service-types"),
        ("notifier", "/api/v1/messages"),
    ):
        url = f"{services.urls[service]}{path}"
        assert (await http.get(url)).status_code == 401, url
        assert (await http.get(url, headers=headers)).status_code == 200, url


async def test_branch_manager_manages_only_their_branch_staff(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    home = chain.branch["branch_id"]
    other = (await _second_branch(services, http, chain))["branch_id"]
    manager = await _add_user(services, http, chain.headers, "branch_manager", [home])
    assert manager.status_code == 201, manager.text
    headers = await _token(services, http, manager.json()["email"])

    assert (await _add_user(services, http, headers, "attendant", [home])).status_code == 201
    refused_role = await _add_user(services, http, headers, "chain_admin", [])
    assert refused_role.status_code == 403
    assert "atendentes" in refused_role.json()["detail"]
    refused_branch = await _add_user(services, http, headers, "attendant", [other])
    assert refused_branch.status_code == 403

    listed = await http.get(f"{services.urls['intake']}/api/v1/users", headers=headers)
    assert listed.status_code == 200
    assert all(home in u["branch_ids"] for u in listed.json()["items"])
    branches = await http.get(f"{services.urls['intake']}/api/v1/branches", headers=headers)
    assert [b["branch_id"] for b in branches.json()["items"]] == [home]
    hidden = await http.get(f"{services.urls['intake']}/api/v1/branches/{other}", headers=headers)
    assert hidden.status_code == 404


async def test_attendants_work_only_in_their_branch_and_viewers_only_read(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    home = chain.branch["branch_id"]
    other = (await _second_branch(services, http, chain))["branch_id"]
    attendant = await _add_user(services, http, chain.headers, "attendant", [home])
    viewer = await _add_user(services, http, chain.headers, "viewer", [])
    as_attendant = await _token(services, http, attendant.json()["email"])
    as_viewer = await _token(services, http, viewer.json()["email"])
    orders = f"{services.urls['intake']}/api/v1/orders"

    assert (await http.post(orders, json=order_body(home), headers=as_attendant)).status_code == 201
    elsewhere = await http.post(orders, json=order_body(other), headers=as_attendant)
    assert elsewhere.status_code == 400
    assert "branch_id" in elsewhere.text
    other_order = await http.post(orders, json=order_body(other), headers=chain.headers)
    assert other_order.status_code == 201
    hidden = await http.get(f"{orders}/{other_order.json()['order_id']}", headers=as_attendant)
    assert hidden.status_code == 404

    refused = await http.post(orders, json=order_body(home), headers=as_viewer)
    assert refused.status_code == 403
    assert "consulta" in refused.json()["detail"]
    assert (
        await http.get(f"{orders}/{other_order.json()['order_id']}", headers=as_viewer)
    ).status_code == 200
    users = await http.get(f"{services.urls['intake']}/api/v1/users", headers=as_attendant)
    assert users.status_code == 403


async def test_a_deactivated_user_cannot_sign_in(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    user = (
        await _add_user(services, http, chain.headers, "attendant", [chain.branch["branch_id"]])
    ).json()
    changed = await http.patch(
        f"{services.urls['intake']}/api/v1/users/{user['user_id']}",
        json={"active": False},
        headers=chain.headers,
    )
    assert changed.status_code == 200
    assert changed.json()["active"] is False
    assert (await _sign_in(services, http, user["email"])).status_code == 401


async def test_another_chain_sees_nothing_and_cannot_write(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    order = await http.post(
        f"{services.urls['intake']}/api/v1/orders",
        json=order_body(chain.branch["branch_id"]),
        headers=chain.headers,
    )
    assert order.status_code == 201
    stranger = bearer(uuid.uuid4())
    branch_id, order_id = chain.branch["branch_id"], order.json()["order_id"]
    for url in (
        f"{services.urls['intake']}/api/v1/branches/{branch_id}",
        f"{services.urls['intake']}/api/v1/orders/{order_id}",
        f"{services.urls['intake']}/api/v1/chains/{chain.chain_id}",
        f"{services.urls['workflow']}/api/v1/orders/{order_id}",
    ):
        assert (await http.get(url, headers=stranger)).status_code == 404, url
    moved = await http.put(
        f"{services.urls['intake']}/api/v1/branches/{branch_id}",
        headers=stranger,
        json={"code": "HACK1", "name": "x", "state": "SP", "city": "São Paulo"},
    )
    assert moved.status_code == 404
    smuggled = await http.post(
        f"{services.urls['intake']}/api/v1/orders",
        json=order_body(branch_id),
        headers=stranger,
    )
    assert smuggled.status_code == 400
    smuggled_chain = await http.post(
        f"{services.urls['intake']}/api/v1/branches",
        headers=stranger,
        json={"chain_id": chain.chain_id, "code": "X1", "name": "x", "state": "SP", "city": "SP"},
    )
    assert smuggled_chain.status_code == 400
    assert "chain_id" in smuggled_chain.text
