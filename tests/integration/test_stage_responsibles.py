"""A responsible person for every step, through the APIs: intake's people reach workflow, an
admin names each stage's person per branch, an order entering a stage is assigned to them,
``GET /api/v1/orders?assignee=me`` is each person's work list, and a person can take an order."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, bearer, eventually

pytestmark = pytest.mark.integration


async def _user(
    services: RunningServices,
    http: httpx.AsyncClient,
    chain: SeededChain,
    name: str,
    role: str,
    branches: list[str],
) -> str:
    created = await http.post(
        f"{services.urls['intake']}/api/v1/users",
        headers=chain.headers,
        json={
            "email": f"{name.split()[0].lower()}-{chain.chain_id[:8]}@example.com",
            "name": name,
            "role": role,
            "branch_ids": branches,
            "password": "senha-de-teste-123",
        },
    )
    assert created.status_code == 201, created.text
    user_id: str = created.json()["user_id"]
    return user_id


async def test_each_stage_hands_the_order_to_its_person_and_each_person_sees_their_list(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake, workflow = services.urls["intake"], services.urls["workflow"]
    branch = chain.branch["branch_id"]
    other = await http.post(
        f"{intake}/api/v1/branches",
        headers=chain.headers,
        json={
            "code": f"O{chain.chain_id[:4].upper()}",
            "name": "Outra",
            "state": "RJ",
            "city": "Rio de Janeiro",
            "timezone": "America/Sao_Paulo",
        },
    )
    assert other.status_code == 201, other.text
    ana = await _user(services, http, chain, "Ana Atendente", "attendant", [branch])
    carlos = await _user(services, http, chain, "Carlos Montador", "attendant", [branch])
    vera = await _user(services, http, chain, "Vera Consulta", "viewer", [branch])
    rita = await _user(services, http, chain, "Rita Rio", "attendant", [other.json()["branch_id"]])

    async def people(of_branch: str, expected: set[str]) -> set[str] | None:
        answer = await http.get(
            f"{workflow}/api/v1/people", params={"branch": of_branch}, headers=chain.headers
        )
        names = {p["name"] for p in answer.json()["items"]}
        return names if expected <= names else None

    # Viewers and people of other branches are not offered; the chain's admin is.
    offered = await eventually(lambda: people(branch, {"Ana Atendente", "Carlos Montador"}))
    assert offered == {"Admin", "Ana Atendente", "Carlos Montador"}
    await eventually(lambda: people(other.json()["branch_id"], {"Rita Rio"}))  # workflow's copy

    url = f"{workflow}/api/v1/service-types/teste/responsibles"
    refused = await http.put(
        url,
        headers=chain.headers,
        json={
            "responsibles": [
                {"stage": "recebido", "branch_id": branch, "user_id": vera},
                {"stage": "producao", "branch_id": branch, "user_id": rita},
                {"stage": "nao-existe", "branch_id": branch, "user_id": ana},
            ]
        },
    )
    assert refused.status_code == 400, refused.text
    fields = {p["field"]: p["problem"] for p in refused.json()["extra"]}
    assert fields["responsibles[0].user_id"] == "Vera Consulta só consulta e não pode receber OS"
    assert fields["responsibles[1].user_id"].startswith("Rita Rio não trabalha na filial")
    assert "não existe" in fields["responsibles[2].stage"]
    attendant = bearer(chain.chain_id, "attendant", [branch])
    forbidden = await http.put(
        url,
        headers=attendant,
        json={"responsibles": [{"stage": "recebido", "branch_id": branch, "user_id": ana}]},
    )
    assert forbidden.status_code == 403
    misspelt = await http.put(  # a field the body does not take is refused, not ignored
        url,
        headers=chain.headers,
        json={"responsibles": [{"stage": "recebido", "branch_id": branch, "usuario": ana}]},
    )
    assert misspelt.status_code == 400
    assert "responsibles.0.usuario: campo desconhecido" in misspelt.json()["detail"]

    saved = await http.put(
        url,
        headers=chain.headers,
        json={
            "responsibles": [
                {"stage": "recebido", "branch_id": branch, "user_id": ana},
                {"stage": "producao", "branch_id": branch, "user_id": carlos},
            ]
        },
    )
    assert saved.status_code == 200, saved.text
    stages = {s["key"]: s["branches"] for s in saved.json()["stages"]}
    assert [(b["user_name"], b["eligible"]) for b in stages["recebido"]] == [
        ("Ana Atendente", True)
    ]
    assert stages["pronto"] == []
    assert stages["producao"][0]["set_at"].endswith("-03:00")

    opened = await http.post(
        f"{intake}/api/v1/orders", json=order_body(branch), headers=chain.headers
    )
    assert opened.status_code == 201, opened.text
    order_id = opened.json()["order_id"]
    as_ana = bearer(
        chain.chain_id,
        "attendant",
        [branch],
        user_id=ana,
    )
    as_carlos = bearer(chain.chain_id, "attendant", [branch], user_id=carlos)

    async def order_with(assignee: str) -> dict[str, Any] | None:
        answer = await http.get(f"{workflow}/api/v1/orders/{order_id}", headers=chain.headers)
        body: dict[str, Any] = answer.json()
        return body if answer.status_code == 200 and body["assignee"] == assignee else None

    async def my_numbers(headers: dict[str, str]) -> list[str]:
        answer = await http.get(
            f"{workflow}/api/v1/orders", params={"assignee": "me"}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        return [o["number"] for o in answer.json()["items"]]

    detail = await eventually(lambda: order_with("Ana Atendente"))
    assert detail["assignee_id"] == ana
    assert any(
        e["summary"] == "Atribuída a Ana Atendente (responsável pela etapa “Recebido”)"
        and e["actor"] == "sistema"
        for e in detail["timeline"]
    )
    number = detail["number"]
    assert await my_numbers(as_ana) == [number]
    assert await my_numbers(as_carlos) == []

    advanced = await http.post(
        f"{intake}/api/v1/orders/{order_id}/actions", json={"action": "advance"}, headers=as_ana
    )
    assert advanced.status_code == 202, advanced.text
    detail = await eventually(lambda: order_with("Carlos Montador"))
    assert detail["stage_key"] == "producao"
    assert await my_numbers(as_carlos) == [number]
    assert await my_numbers(as_ana) == []

    # Taking an order: by user id, checked at the counter; a viewer cannot hold one.
    actions = f"{intake}/api/v1/orders/{order_id}/actions"
    bad = await http.post(
        actions, json={"action": "assign", "assignee_id": vera}, headers=as_carlos
    )
    assert bad.status_code == 400, bad.text
    assert "assignee_id: Vera Consulta só consulta" in bad.json()["detail"]
    taken = await http.post(
        actions, json={"action": "assign", "assignee_id": ana}, headers=as_carlos
    )
    assert taken.status_code == 202, taken.text
    detail = await eventually(lambda: order_with("Ana Atendente"))
    assert any(
        e["summary"] == "Atribuída a Ana Atendente (antes: Carlos Montador)"
        for e in detail["timeline"]
    )
    assert await my_numbers(as_ana) == [number]

    # The last stage names nobody: Ana keeps the order.
    await http.post(actions, json={"action": "advance"}, headers=as_ana)

    async def in_pronto() -> dict[str, Any] | None:
        body = await order_with("Ana Atendente")
        return body if body and body["stage_key"] == "pronto" else None

    assert (await eventually(in_pronto))["assignee_id"] == ana
