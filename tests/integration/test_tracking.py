"""The customer's tracking link end to end through the APIs: token, page data, expiry, abuse.

A chain admin gives the branch its address and hours (intake → branch.upserted → workflow)
and a flow with a hidden stage and a customer-facing name; an order opened at the counter
gets a token that reaches the notifier in order.stage_changed.v1, whose SMS carries the link;
the public read shows only customer-safe data, follows the order as staff advance it, and
answers an unknown token and an expired one the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually
from tests.integration.order_engine_kit import spy, workflow_pool

pytestmark = pytest.mark.integration

FLOW = {
    "code": "rastreio",
    "name": "Óculos rastreados",
    "stages": [
        {"key": "recebido", "name": "Conferência da receita", "planned_days": 1,
         "customer_name": "Pedido recebido",
         "sms_template": "Olá {nome}! OS {numero_os}: {etapa}. Acompanhe: {link}"},
        {"key": "interna", "name": "Checagem interna", "planned_days": 1,
         "visible_to_customer": False},
        {"key": "producao", "name": "Produção", "planned_days": 3},
        {"key": "pronto", "name": "Pronto para retirada", "planned_days": 0},
    ],
}  # fmt: skip
SAFE_KEYS = {
    "status", "chain_name", "branch", "customer_first_name", "order_number", "stages",
    "current_stage", "promised_date", "forecast_date", "link_expires_at",
}  # fmt: skip


def _client(address: str) -> dict[str, str]:
    """The console passes the customer's address; the tests' 127.0.0.1 is a trusted proxy."""
    return {"X-Forwarded-For": address}


async def _tracking(
    http: httpx.AsyncClient, services: RunningServices, token: str, address: str = "10.0.0.1"
) -> httpx.Response:
    # No Authorization header: the read is public.
    return await http.get(
        f"{services.urls['workflow']}/api/v1/tracking/{token}", headers=_client(address)
    )


async def _open(
    services: RunningServices, admin: httpx.AsyncClient, chain: SeededChain, name: str, phone: str
) -> dict[str, Any]:
    body = order_body(chain.branch["branch_id"], service_type="rastreio")
    body["customer"] |= {"name": name, "phone": phone}

    async def opened() -> dict[str, Any] | None:  # intake learns of the new type by event
        response = await admin.post(f"{services.urls['intake']}/api/v1/orders", json=body)
        return response.json() if response.status_code == 201 else None

    order: dict[str, Any] = await eventually(opened)
    return order


async def _detail(
    services: RunningServices, admin: httpx.AsyncClient, order_id: str, stage: str | None = None
) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        response = await admin.get(f"{services.urls['workflow']}/api/v1/orders/{order_id}")
        if response.status_code != 200:
            return None
        detail: dict[str, Any] = response.json()
        return detail if stage is None or detail["stage_key"] == stage else None

    result: dict[str, Any] = await eventually(found)
    return result


async def _act(
    services: RunningServices, admin: httpx.AsyncClient, order_id: str, **body: str
) -> None:
    response = await admin.post(
        f"{services.urls['intake']}/api/v1/orders/{order_id}/actions", json=body
    )
    assert response.status_code == 202, response.text


@pytest.fixture
async def tracked_chain(
    services: RunningServices, chain: SeededChain, admin_http: httpx.AsyncClient
) -> SeededChain:
    intake, workflow = services.urls["intake"], services.urls["workflow"]
    branch = chain.branch
    changed = await admin_http.put(
        f"{intake}/api/v1/branches/{branch['branch_id']}",
        json={"code": branch["code"], "name": branch["name"], "state": "SP",
              "city": "São Paulo", "phone": "(11) 3253-1000",
              "address": "Av. Paulista, 1000", "opening_hours": "seg–sex 9h–18h"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["address"] == "Av. Paulista, 1000"
    created = await admin_http.post(f"{workflow}/api/v1/service-types", json=FLOW)
    assert created.status_code == 201, created.text
    stages = created.json()["stages"]
    assert [(s["visible_to_customer"], s["customer_name"]) for s in stages] == [
        (True, "Pedido recebido"), (False, None), (True, None), (True, None),
    ]  # fmt: skip
    return chain


async def test_the_link_follows_the_order_and_shows_only_customer_safe_data(
    services: RunningServices, tracked_chain: SeededChain, admin_http: httpx.AsyncClient,
    http: httpx.AsyncClient,
) -> None:  # fmt: skip
    async with spy(services, "order.stage_changed.v1") as seen:
        order = await _open(services, admin_http, tracked_chain, "MARIA DA SILVA", "11 98765-4321")
        other = await _open(services, admin_http, tracked_chain, "Pedro Souza", "11 97777-1234")
        detail = await _detail(services, admin_http, order["order_id"], "recebido")
        other_detail = await _detail(services, admin_http, other["order_id"], "recebido")
        token = detail["tracking_token"]
        assert len(token) == 11
        assert token != other_detail["tracking_token"]
        assert order["order_id"].replace("-", "") not in token
        changes = await eventually(lambda: _async(seen.of(order["order_id"])))
        assert changes[0]["tracking_token"] == token

    # The notifier's SMS ends with the whole link.
    async def sms_body() -> str | None:
        response = await admin_http.get(
            f"{services.urls['notifier']}/api/v1/messages", params={"order_id": order["order_id"]}
        )
        items = response.json()["items"]
        return items[0]["body"] if items and items[0]["body"] else None

    body = await eventually(sms_body)
    assert body.endswith(f"{services.env['ETAPA_TRACKING_BASE_URL']}/a/{token}"), body
    assert "Pedido recebido" in body  # {etapa} is the customer's name of the stage

    await eventually(lambda: _chain_name_known(http, services, token))
    first = await _tracking(http, services, token)
    assert first.status_code == 200, first.text
    assert first.headers["x-robots-tag"].startswith("noindex")
    assert first.headers["cache-control"] == "no-store"
    assert "set-cookie" not in first.headers
    page = first.json()
    assert set(page) == SAFE_KEYS
    assert page["status"] == "open"
    assert page["chain_name"].startswith("Rede ")
    assert page["branch"] == {
        "name": tracked_chain.branch["name"], "address": "Av. Paulista, 1000",
        "phone": "(11) 3253-1000", "opening_hours": "seg–sex 9h–18h",
    }  # fmt: skip
    assert (page["customer_first_name"], page["order_number"]) == ("Maria", order["number"])
    assert page["stages"] == [
        {"name": "Pedido recebido", "progress": "current"},
        {"name": "Produção", "progress": "upcoming"},
        {"name": "Pronto para retirada", "progress": "upcoming"},
    ]
    assert page["promised_date"] == detail["promised_date"]
    assert page["forecast_date"] is not None

    await _act(services, admin_http, order["order_id"], action="advance")
    await _detail(services, admin_http, order["order_id"], "interna")
    hidden = await _tracking(http, services, token)
    assert hidden.json()["current_stage"] == "Pedido recebido"  # the hidden stage is not shown
    await _act(services, admin_http, order["order_id"], action="advance")
    await _detail(services, admin_http, order["order_id"], "producao")
    moved = await _tracking(http, services, token)
    assert [s["progress"] for s in moved.json()["stages"]] == ["done", "current", "upcoming"]
    assert moved.json()["current_stage"] == "Produção"
    await _act(services, admin_http, order["order_id"], action="advance")
    await _detail(services, admin_http, order["order_id"], "pronto")
    ready = await _tracking(http, services, token)
    assert ready.json()["status"] == "ready"

    # No response of the read carries the phone, ids, or another order's data.
    texts = [first.text, hidden.text, moved.text, ready.text]
    for text in texts:
        for secret in ("98765", "987654321", "+55", order["order_id"], tracked_chain.chain_id,
                       tracked_chain.branch["branch_id"], "Silva", "SILVA", "Pedro",
                       other["number"], "Conferência da receita", "Checagem interna"):  # fmt: skip
            assert secret not in text, (secret, text)


async def test_unknown_and_expired_tokens_look_alike_and_closed_ones_show_the_outcome(
    services: RunningServices, tracked_chain: SeededChain, admin_http: httpx.AsyncClient,
    http: httpx.AsyncClient,
) -> None:  # fmt: skip
    order = await _open(services, admin_http, tracked_chain, "Ana Lima", "11 96666-5555")
    token = (await _detail(services, admin_http, order["order_id"], "recebido"))["tracking_token"]
    await _act(services, admin_http, order["order_id"], action="advance", target_stage="pronto")
    await _detail(services, admin_http, order["order_id"], "pronto")
    await _act(services, admin_http, order["order_id"], action="deliver")

    async def delivered() -> dict[str, Any] | None:
        response = await _tracking(http, services, token, "10.0.1.1")
        return response.json() if response.json()["status"] == "delivered" else None

    closed = await eventually(delivered)
    assert [s["progress"] for s in closed["stages"]] == ["done", "done", "done"]
    assert closed["link_expires_at"] is not None
    assert closed["forecast_date"] is None

    # A remake (warranty) order gets a token of its own.
    await _act(services, admin_http, order["order_id"], action="reopen", reason="aro quebrou",
               reopen_kind="warranty")  # fmt: skip
    remake_id = await eventually(lambda: _remake(services, admin_http, order["order_id"]))
    remake = await _detail(services, admin_http, remake_id)
    assert remake["tracking_token"] not in ("", token)

    async with workflow_pool(services) as pool:
        await pool.execute(
            "UPDATE orders SET closed_at = closed_at - interval '31 days' WHERE order_id = $1",
            uuid.UUID(order["order_id"]),
        )
    expired = await _tracking(http, services, token, "10.0.1.2")
    unknown = await _tracking(http, services, "Xk3p9QzAb1c", "10.0.1.2")
    malformed = await _tracking(http, services, "../../etc", "10.0.1.2")
    assert (expired.status_code, unknown.status_code, malformed.status_code) == (404, 404, 404)
    assert set(expired.json()) == set(unknown.json()) == SAFE_KEYS
    assert expired.json()["status"] == "expired"
    assert unknown.json()["status"] == "not_found"
    assert expired.json()["branch"]["phone"] == "(11) 3253-1000"
    assert expired.json()["order_number"] is None
    assert expired.json()["stages"] == []
    assert "Ana" not in expired.text


async def test_too_many_unknown_tokens_from_one_address_are_refused(
    services: RunningServices, tracked_chain: SeededChain, admin_http: httpx.AsyncClient,
    http: httpx.AsyncClient,
) -> None:  # fmt: skip
    order = await _open(services, admin_http, tracked_chain, "Caio Reis", "11 95555-4444")
    token = (await _detail(services, admin_http, order["order_id"], "recebido"))["tracking_token"]
    guesser = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    statuses = [
        (await _tracking(http, services, f"guess{n:06d}xx", guesser)).status_code for n in range(21)
    ]
    assert statuses == [404] * 20 + [429]
    # Blocked: even a real token answers 429 to that address, and nothing else.
    refused = await _tracking(http, services, token, guesser)
    assert refused.status_code == 429
    assert "Caio" not in refused.text
    # Another address is not affected.
    assert (await _tracking(http, services, token, "10.0.2.1")).status_code == 200


async def _async(value: Any) -> Any:
    return value


async def _chain_name_known(http: httpx.AsyncClient, services: RunningServices, token: str) -> bool:
    response = await _tracking(http, services, token)
    return response.status_code == 200 and response.json()["branch"]["address"] is not None


async def _remake(services: RunningServices, admin: httpx.AsyncClient, order_id: str) -> str | None:
    detail = await _detail(services, admin, order_id)
    return detail["remakes"][0]["order_id"] if detail["remakes"] else None


async def test_a_chain_that_asks_for_gsm7_gets_plain_sms_with_the_link_whole(
    services: RunningServices, tracked_chain: SeededChain, admin_http: httpx.AsyncClient
) -> None:
    notifier = services.urls["notifier"]
    before = await admin_http.get(f"{notifier}/api/v1/sms-settings")
    assert before.json()["transliterate"] is False
    changed = await admin_http.put(f"{notifier}/api/v1/sms-settings", json={"transliterate": True})
    assert changed.status_code == 200, changed.text
    refused = await admin_http.put(f"{notifier}/api/v1/sms-settings", json={"transliterate": 1.5})
    assert refused.status_code == 400
    assert "transliterate" in refused.text

    order = await _open(services, admin_http, tracked_chain, "Conceição Araújo", "11 94444-3333")
    token = (await _detail(services, admin_http, order["order_id"]))["tracking_token"]

    async def sent() -> dict[str, Any] | None:
        response = await admin_http.get(
            f"{notifier}/api/v1/messages", params={"order_id": order["order_id"]}
        )
        items = response.json()["items"]
        return items[0] if items and items[0]["body"] else None

    message = await eventually(sent)
    assert message["body"].startswith("Ola Conceicao! ")
    assert message["body"].endswith(f"/a/{token}")
    assert message["encoding"] == "GSM-7"
