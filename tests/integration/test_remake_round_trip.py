"""Staff deliver an order and reopen it as a warranty: the remake is known everywhere.

Driven only through the public HTTP APIs: intake registers the remake from workflow's event,
so staff act on it at the counter; the notifier texts the original's customer about it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually

pytestmark = pytest.mark.integration


async def _act(
    services: RunningServices, http: httpx.AsyncClient, order_id: str, **body: str
) -> None:
    response = await http.post(
        f"{services.urls['intake']}/api/v1/orders/{order_id}/actions", json=body
    )
    assert response.status_code == 202, response.text


async def _workflow(services: RunningServices, http: httpx.AsyncClient, order_id: str) -> Any:
    response = await http.get(f"{services.urls['workflow']}/api/v1/orders/{order_id}")
    return response.json() if response.status_code == 200 else None


async def test_a_reopened_order_can_be_acted_on_and_texts_the_customer(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    http = admin_http
    opened = await http.post(
        f"{services.urls['intake']}/api/v1/orders", json=order_body(chain.branch["branch_id"])
    )
    assert opened.status_code == 201, opened.text
    order = opened.json()
    await eventually(lambda: _workflow(services, http, order["order_id"]))

    await _act(services, http, order["order_id"], action="advance", target_stage="pronto")
    await _act(services, http, order["order_id"], action="deliver")
    await _act(
        services, http, order["order_id"], action="reopen", reason="aro quebrou",
        reopen_kind="warranty",
    )  # fmt: skip

    async def remake_id() -> str | None:
        detail = await _workflow(services, http, order["order_id"])
        return detail["remakes"][0]["order_id"] if detail and detail["remakes"] else None

    remake = await eventually(remake_id)

    async def at_the_counter() -> Any:
        response = await http.get(f"{services.urls['intake']}/api/v1/orders/{remake}")
        return response.json() if response.status_code == 200 else None

    registered = await eventually(at_the_counter)
    assert registered["number"] == f"{order['number']}-R1"
    assert registered["customer_phone"] == order["customer_phone"]

    await _act(services, http, remake, action="note", note="armação nova pedida")

    async def noted() -> Any:
        detail = await _workflow(services, http, remake)
        return [t for t in detail["timeline"] if "armação nova pedida" in t["summary"]]

    assert await eventually(noted)

    async def texted() -> Any:
        response = await http.get(
            f"{services.urls['notifier']}/api/v1/messages", params={"order_id": remake}
        )
        items = response.json()["items"]
        return items if items and items[0]["status"] == "sent" else None

    sms = await eventually(texted)
    assert sms[0]["body"].startswith(f"Olá João! OS {order['number']}-R1 recebida")

    following = await http.post(
        f"{services.urls['intake']}/api/v1/orders", json=order_body(chain.branch["branch_id"])
    )
    assert following.json()["number"].endswith("-000002")  # the remake took no new number
