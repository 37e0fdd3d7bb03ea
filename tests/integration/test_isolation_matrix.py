"""Every endpoint of every service, with two chains and every role: zero leaks.

The operations come from each service's own OpenAPI document, so a new endpoint is in the
matrix the day it is added; a write endpoint without a valid body in ``WRITES`` or a path
parameter without a value in ``World.path_values`` fails the test until it is described here.

For each operation:
- without a token → 401 (except the few that check their own credential → 4xx);
- another chain's administrator, aiming at chain A's ids → never 2xx on A's resources, and no
  response of any kind contains a marker of chain A (ids, order numbers, customer names);
- chain A's attendant and viewer of branch A1, aiming at branch A2 → no A2 marker, no write;
- chain A's viewer → no write succeeds anywhere.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.infra import bearer
from tests.integration.conftest import create_chain, order_body
from tests.integration.harness import RunningServices, eventually, lab_time, save_test_flow

pytestmark = pytest.mark.integration

OPEN = {
    ("intake", "POST", "/api/v1/auth/token"),
    ("intake", "POST", "/api/v1/chains"),
    ("intake", "POST", "/api/v1/lab-updates"),  # the lab's API key (X-Lab-Key)
    ("notifier", "POST", "/api/v1/providers/{provider}/inbound"),  # NOTIFIER_CALLBACK_TOKEN
    ("notifier", "POST", "/api/v1/providers/{provider}/status"),  # NOTIFIER_CALLBACK_TOKEN
    ("workflow", "GET", "/api/v1/tracking/{token}"),  # the customer's link: the token itself
}
"""Operations without a bearer token; each checks its own credential (or is sign-in itself)."""
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CREATES_IN_CALLERS_CHAIN = {
    ("intake", "POST", "/api/v1/branches"),
    ("workflow", "POST", "/api/v1/service-types"),
    ("workflow", "PUT", "/api/v1/service-types/{code}"),  # chain B has its own "teste"
    ("workflow", "PUT", "/api/v1/calendar/optional-days"),
    ("workflow", "POST", "/api/v1/calendars/cities/{uf}/{city}/holidays"),  # per chain
    ("intake", "POST", "/api/v1/labs"),
    ("notifier", "PUT", "/api/v1/sms-settings"),  # the caller's own chain's option
    ("workflow", "PUT", "/api/v1/service-types/{code}/process-owner"),  # B's own "teste"
    ("workflow", "POST", "/api/v1/service-types/{code}/reviews"),  # B's own "teste"
}
"""Writes whose body names nothing of chain A: another chain's admin may do them in their own."""
NOT_WRITES = {
    ("intake", "POST", "/api/v1/auth/refresh"),  # a new token for the caller's own valid one
    ("workflow", "POST", "/api/v1/service-types/{code}/what-if"),  # a read of a snapshot
}
"""POSTs that change nothing: anyone with a valid token may make them, about themselves only."""
SERVICES = ("intake", "workflow", "notifier")
Operation = tuple[str, str, str]


@dataclass
class Tenant:
    chain_id: str
    branches: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    admin: dict[str, str]

    def markers(self, branch_index: int | None = None) -> set[str]:
        """Strings that only this tenant's data (or one branch's) contains."""
        orders = self.orders if branch_index is None else [self.orders[branch_index]]
        found = {o["order_id"] for o in orders} | {o["number"] for o in orders}
        found |= {o["customer_name"] for o in orders}
        if branch_index is None:
            found |= {self.chain_id} | {b["branch_id"] for b in self.branches}
        else:
            found.add(self.branches[branch_index]["branch_id"])
        return found


@dataclass
class World:
    services: RunningServices
    a: Tenant
    b: Tenant
    extra: dict[str, str] = field(default_factory=dict)

    def path_values(self) -> dict[str, str]:
        """Values for path parameters: chain A's second branch and what belongs to it."""
        return {
            "chain_id": self.a.chain_id,
            "branch_id": self.a.branches[1]["branch_id"],
            "order_id": self.a.orders[1]["order_id"],
            "code": "teste",
            "version": "1",
            "phone": "+5511955550000",
            "provider": "http",
            "token": self.extra.get("token", "Xk3p9QzAb1c"),
            "uf": "SP",
            "city": "Campinas",
            **self.extra,
        }


WRITES: dict[Operation, Callable[[World], dict[str, Any]]] = {
    ("intake", "POST", "/api/v1/auth/token"): lambda w: {
        "email": "nobody@example.com", "password": "not-a-password",
    },
    ("intake", "POST", "/api/v1/auth/refresh"): lambda w: {},
    ("intake", "POST", "/api/v1/chains"): lambda w: {
        "name": "Rede Pirata", "admin": {"email": "p@example.com", "name": "P",
                                         "password": "senha-pirata-123"},
    },
    ("intake", "POST", "/api/v1/branches"): lambda w: {
        "code": "NEW1", "name": "Nova", "state": "SP", "city": "Campinas",
    },
    ("intake", "PUT", "/api/v1/branches/{branch_id}"): lambda w: {
        "code": "HACK", "name": "Tomada", "state": "SP", "city": "São Paulo",
    },
    ("intake", "POST", "/api/v1/users"): lambda w: {
        "email": f"x-{uuid.uuid4().hex[:6]}@example.com", "name": "Intrusa", "role": "attendant",
        "branch_ids": [w.a.branches[1]["branch_id"]], "password": "senha-intrusa-123",
    },
    ("intake", "PATCH", "/api/v1/users/{user_id}"): lambda w: {"role": "chain_admin"},
    ("intake", "POST", "/api/v1/orders"): lambda w: order_body(w.a.branches[1]["branch_id"]),
    ("workflow", "POST", "/api/v1/service-types"): lambda w: {
        "code": f"novo-{uuid.uuid4().hex[:6]}", "name": "Novo",
        "stages": [{"key": "unica", "name": "Única", "planned_days": 1}],
    },
    ("workflow", "PUT", "/api/v1/service-types/{code}"): lambda w: {
        "name": "Tomado", "stages": [{"key": "unica", "name": "Única", "planned_days": 9}],
    },
    ("workflow", "PUT", "/api/v1/service-types/{code}/responsibles"): lambda w: {
        "responsibles": [{"stage": "recebido", "branch_id": w.a.branches[1]["branch_id"],
                          "user_id": w.extra["user_id"]}],
    },
    ("workflow", "POST", "/api/v1/service-types/{code}/what-if"): lambda w: {
        "stages": [{"key": "unica", "name": "Única", "planned_days": 1}],
    },
    ("workflow", "PUT", "/api/v1/service-types/{code}/process-owner"): lambda w: {
        "owner_id": str(uuid.uuid4()), "owner_name": "Intruso", "cadence": "weekly",
    },
    ("workflow", "POST", "/api/v1/service-types/{code}/reviews"): lambda w: {
        "findings": "intrusão", "decisions": "nenhuma",
    },
    ("workflow", "PUT", "/api/v1/branches/{branch_id}/calendar"): lambda w: {
        "closures": [{"date": "2027-03-01", "description": "Fechada por intrusos"}],
    },
    ("workflow", "POST", "/api/v1/calendars/cities/{uf}/{city}/holidays"): lambda w: {
        "date": "2027-07-14", "name": "Aniversário de Campinas",
    },
    ("workflow", "PUT", "/api/v1/calendar/optional-days"): lambda w: {
        "optional_days": ["carnival_monday"],
    },
    ("intake", "POST", "/api/v1/orders/{order_id}/actions"): lambda w: {
        "action": "cancel", "reason": "intrusão",
    },
    ("intake", "POST", "/api/v1/labs"): lambda w: {
        "code": f"LP{uuid.uuid4().hex[:6].upper()}", "name": "Pirata",
    },
    ("intake", "POST", "/api/v1/labs/{lab_id}/keys"): lambda w: {"label": "pirata"},
    ("intake", "DELETE", "/api/v1/labs/{lab_id}/keys/{key_id}"): lambda w: {},
    ("intake", "POST", "/api/v1/lab-updates"): lambda w: {
        "message_id": uuid.uuid4().hex, "lab_code": w.extra["lab_code"],
        "order_number": w.a.orders[1]["number"], "status": "on_hold",
        "occurred_at": lab_time(hours=-2),
    },
    ("intake", "POST", "/api/v1/lab-updates/{lab_message_id}/replay"): lambda w: {},
    ("notifier", "POST", "/api/v1/opt-outs"): lambda w: {"phone": "+5511955550000"},
    ("notifier", "PUT", "/api/v1/sms-settings"): lambda w: {"transliterate": True},
    ("notifier", "DELETE", "/api/v1/opt-outs/{phone}"): lambda w: {},
    ("notifier", "POST", "/api/v1/providers/{provider}/inbound"): lambda w: {
        "from": "+5511955550000", "text": "PARE",
    },
    ("notifier", "POST", "/api/v1/providers/{provider}/status"): lambda w: {
        "id": "x", "status": "delivered",
    },
}  # fmt: skip

QUERIES: dict[Operation, Callable[[World], dict[str, str]]] = {
    ("workflow", "GET", "/api/v1/orders/board"): lambda w: {"service_type": "teste"},
    ("workflow", "GET", "/api/v1/quote"): lambda w: {
        "service_type": "teste",
        "branch": w.a.branches[1]["branch_id"],
    },
    ("workflow", "GET", "/api/v1/service-types/{code}/versions/compare"): lambda w: {
        "from": "1",
        "to": "1",
    },
}
"""Query parameters a GET needs to answer more than a 400 (chain A's, where it names any)."""


async def _tenant(
    services: RunningServices, http: httpx.AsyncClient, name: str, tag: str
) -> Tenant:
    chain_id = await create_chain(services, http, f"Rede {name} {tag}")
    admin = bearer(chain_id)
    branches = []
    for index in (1, 2):
        response = await http.post(
            f"{services.urls['intake']}/api/v1/branches",
            headers=admin,
            json={"code": f"{name[0]}{index}{tag}", "name": f"Loja {name} {index}", "state": "SP",
                  "city": "São Paulo"},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        branches.append(response.json())
    await save_test_flow(services.env["WORKFLOW_DATABASE_URL"], uuid.UUID(chain_id))
    orders = []
    for index, branch in enumerate(branches):
        body = order_body(branch["branch_id"])
        body["customer"]["name"] = f"Cliente {name} {tag} {index}"
        response = await http.post(
            f"{services.urls['intake']}/api/v1/orders", headers=admin, json=body
        )
        assert response.status_code == 201, response.text
        orders.append(response.json())
    return Tenant(chain_id, branches, orders, admin)


@pytest.fixture(scope="module")
async def world(services: RunningServices) -> World:
    tag = uuid.uuid4().hex[:4].upper()
    async with httpx.AsyncClient(timeout=10) as http:
        a = await _tenant(services, http, "Alfa", tag)
        b = await _tenant(services, http, "Beta", tag)
        attendant_a2 = await http.post(
            f"{services.urls['intake']}/api/v1/users",
            headers=a.admin,
            json={"email": f"a2-{tag.lower()}@example.com", "name": "Atendente A2",
                  "role": "attendant", "branch_ids": [a.branches[1]["branch_id"]],
                  "password": "senha-a2-123456"},
        )  # fmt: skip
        assert attendant_a2.status_code == 201, attendant_a2.text

        async def everywhere() -> bool:
            for order in (*a.orders, *b.orders):
                url = f"{services.urls['notifier']}/api/v1/messages"
                admin = a.admin if order["chain_id"] == a.chain_id else b.admin
                got = await http.get(url, params={"order_id": order["order_id"]}, headers=admin)
                if not got.json()["items"]:
                    return False
            return True

        await eventually(everywhere, timeout=20)
        lab = await _lab_with_a_message(services, http, a, tag)
        return World(services, a, b, extra={"user_id": attendant_a2.json()["user_id"], **lab})


async def _lab_with_a_message(
    services: RunningServices, http: httpx.AsyncClient, a: Tenant, tag: str
) -> dict[str, str]:
    """A lab of chain A, its key, and a message it sent about A's second branch's order."""
    intake = services.urls["intake"]
    code = f"LA{tag}"
    lab = await http.post(
        f"{intake}/api/v1/labs", headers=a.admin, json={"code": code, "name": "L"}
    )
    assert lab.status_code == 201, lab.text
    lab_id = lab.json()["lab_id"]
    key = await http.post(f"{intake}/api/v1/labs/{lab_id}/keys", headers=a.admin, json={})
    assert key.status_code == 201, key.text
    sent = await http.post(
        f"{intake}/api/v1/lab-updates",
        headers={"X-Lab-Key": key.json()["key"]},
        json={"message_id": uuid.uuid4().hex, "lab_code": code, "status": "received",
              "order_number": a.orders[1]["number"], "occurred_at": lab_time(hours=-2)},
    )  # fmt: skip
    assert sent.status_code == 202, sent.text
    return {
        "lab_id": lab_id,
        "lab_code": code,
        "key_id": key.json()["key_id"],
        "lab_message_id": sent.json()["lab_message_id"],
    }


async def _operations(services: RunningServices, http: httpx.AsyncClient) -> list[Operation]:
    found: list[Operation] = []
    for service in SERVICES:
        schema = (await http.get(f"{services.urls[service]}/schema/openapi.json")).json()
        for path, item in schema["paths"].items():
            if not path.startswith("/api/"):
                continue
            for method in item:
                if method.upper() in {"GET", *WRITE_METHODS}:
                    found.append((service, method.upper(), path))
    return sorted(found)


def _url(world: World, operation: Operation) -> str:
    service, _, path = operation
    values = world.path_values()

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"{operation}: give path parameter {name!r} a value in World"
        return values[name]

    return world.services.urls[service] + re.sub(r"\{(\w+)\}", fill, path)


async def _call(
    http: httpx.AsyncClient, world: World, operation: Operation, headers: dict[str, str]
) -> httpx.Response:
    method = operation[1]
    body = WRITES[operation](world) if method in WRITE_METHODS else None
    return await http.request(
        method,
        _url(world, operation),
        json=body,
        params=QUERIES[operation](world) if operation in QUERIES else None,
        headers=headers,
    )


def _leaks(response: httpx.Response, markers: set[str]) -> set[str]:
    """Markers in the response that the caller did not put in the request themselves."""
    asked = str(response.request.url) + response.request.content.decode(errors="replace")
    return {m for m in markers if m in response.text and m not in asked}


async def test_every_write_endpoint_is_described(world: World, http: httpx.AsyncClient) -> None:
    writes = {op for op in await _operations(world.services, http) if op[1] in WRITE_METHODS}
    assert writes - set(WRITES) == set(), "describe a valid body for these in WRITES"


async def test_without_a_token_every_endpoint_is_401(world: World, http: httpx.AsyncClient) -> None:
    wrong = {}
    for operation in await _operations(world.services, http):
        if operation in OPEN:
            continue
        response = await _call(http, world, operation, headers={})
        if response.status_code != 401:
            wrong[operation] = response.status_code
    assert wrong == {}


async def test_another_chain_sees_nothing_and_changes_nothing(
    world: World, http: httpx.AsyncClient
) -> None:
    strangers = {
        role: bearer(world.b.chain_id, role, [world.b.branches[0]["branch_id"]])
        for role in ("chain_admin", "branch_manager", "attendant", "viewer")
    }
    markers = world.a.markers()
    problems: dict[str, object] = {}
    for operation in await _operations(world.services, http):
        for role, headers in strangers.items():
            response = await _call(http, world, operation, headers)
            if leaked := _leaks(response, markers):
                problems[f"{operation} as {role}: leaked"] = leaked
            allowed = operation in CREATES_IN_CALLERS_CHAIN and role == "chain_admin"
            writes = operation[1] in WRITE_METHODS and operation not in NOT_WRITES
            if writes and response.is_success and not allowed:
                problems[f"{operation} as {role}: wrote"] = response.status_code
    assert problems == {}


async def test_branch_staff_see_and_touch_only_their_branch(
    world: World, http: httpx.AsyncClient
) -> None:
    home = [world.a.branches[0]["branch_id"]]
    other_branch = world.a.markers(branch_index=1)
    problems: dict[str, object] = {}
    for role in ("branch_manager", "attendant", "viewer"):
        headers = bearer(world.a.chain_id, role, home)
        for operation in await _operations(world.services, http):
            response = await _call(http, world, operation, headers)
            if leaked := _leaks(response, other_branch):
                problems[f"{operation} as {role}: leaked"] = leaked
            writes = operation[1] in WRITE_METHODS and operation not in NOT_WRITES
            if writes and response.is_success:
                problems[f"{operation} as {role}: wrote"] = response.status_code
    assert problems == {}


async def test_a_viewer_of_the_whole_chain_writes_nothing(
    world: World, http: httpx.AsyncClient
) -> None:
    viewer = bearer(world.a.chain_id, "viewer")
    wrote = {}
    for operation in await _operations(world.services, http):
        if operation[1] in WRITE_METHODS and operation not in OPEN | NOT_WRITES:
            response = await _call(http, world, operation, viewer)
            if response.status_code != 403:
                wrote[operation] = (response.status_code, response.text[:200])
    assert wrote == {}


async def test_chain_a_is_unchanged_after_the_matrix(world: World, http: httpx.AsyncClient) -> None:
    intake = world.services.urls["intake"]
    branches = await http.get(f"{intake}/api/v1/branches", headers=world.a.admin)
    assert [b["name"] for b in branches.json()["items"]] == [b["name"] for b in world.a.branches]
    users = await http.get(f"{intake}/api/v1/users", headers=world.a.admin)
    assert {u["role"] for u in users.json()["items"]} == {"chain_admin", "attendant"}
    assert "Intrusa" not in users.text
    workflow = world.services.urls["workflow"]
    flow = await http.get(f"{workflow}/api/v1/service-types/teste", headers=world.a.admin)
    assert (flow.json()["version"], flow.json()["name"]) == (1, "Serviço de teste")
    branch_a2 = world.a.branches[1]["branch_id"]
    calendar = await http.get(
        f"{workflow}/api/v1/branches/{branch_a2}/calendar", headers=world.a.admin
    )
    assert (calendar.json()["revision"], calendar.json()["settings"]["closures"]) == (0, [])
    optional = await http.get(f"{workflow}/api/v1/calendar/optional-days", headers=world.a.admin)
    assert optional.json()["optional_days"] == []
