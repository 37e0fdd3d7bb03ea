"""An order travels from intake's HTTP API through the broker to the workflow and the notifier."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually

pytestmark = pytest.mark.integration


async def _workflow_order(http: httpx.AsyncClient, services: RunningServices, order_id: str) -> Any:
    response = await http.get(f"{services.urls['workflow']}/api/v1/orders/{order_id}")
    return response.json() if response.status_code == 200 else None


async def _messages(http: httpx.AsyncClient, services: RunningServices, order_id: str) -> Any:
    response = await http.get(
        f"{services.urls['notifier']}/api/v1/messages", params={"order_id": order_id}
    )
    assert response.status_code == 200
    return response.json()["items"]


async def test_opened_order_enters_first_stage_and_customer_gets_one_sms(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = await admin_http.post(
        f"{services.urls['intake']}/api/v1/orders", json=order_body(chain.branch["branch_id"])
    )
    assert opened.status_code == 201, opened.text
    order = opened.json()
    assert order["number"] == f"{chain.branch['code']}-000001"
    assert order["customer_phone"] == "+5511987654321"

    placed = await eventually(lambda: _workflow_order(admin_http, services, order["order_id"]))
    assert placed["stage_key"] == "recebido"
    assert placed["entry_sequence"] == 1
    assert placed["stage_due_at"] is not None
    assert placed["stage_due_explanation"]
    assert placed["promised_date_proposed"] is True

    async def sent() -> Any:
        items = await _messages(admin_http, services, order["order_id"])
        return items if items and items[0]["status"] == "sent" else None

    messages = await eventually(sent)
    assert len(messages) == 1
    body = messages[0]["body"]
    assert body.startswith(f"Olá João! OS {order['number']} recebida na Loja ")
    assert "{" not in body
    assert messages[0]["phone_masked"] == "+55119******21"  # as in the logs

    async def sms_on_timeline() -> Any:
        detail = await _workflow_order(admin_http, services, order["order_id"])
        return [e for e in detail["timeline"] if e["kind"] == "sms_sent"]

    assert len(await eventually(sms_on_timeline)) == 1


async def test_order_numbers_are_consecutive_per_branch(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    numbers = []
    for _ in range(3):
        response = await admin_http.post(
            f"{services.urls['intake']}/api/v1/orders", json=order_body(chain.branch["branch_id"])
        )
        numbers.append(response.json()["number"])
    code = chain.branch["code"]
    assert numbers == [f"{code}-000001", f"{code}-000002", f"{code}-000003"]


async def test_same_idempotency_key_and_body_returns_the_same_order(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    url = f"{services.urls['intake']}/api/v1/orders"
    body = order_body(chain.branch["branch_id"])
    first = await admin_http.post(url, json=body, headers={"Idempotency-Key": "abc-1"})
    again = await admin_http.post(url, json=body, headers={"Idempotency-Key": "abc-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order_id"] == first.json()["order_id"]

    changed = dict(body, notes="outra coisa")
    conflict = await admin_http.post(url, json=changed, headers={"Idempotency-Key": "abc-1"})
    assert conflict.status_code == 409
    assert "Idempotency-Key" in conflict.json()["detail"]

    # The replay did not take a number: the next order gets the next one.
    following = await admin_http.post(url, json=body)
    assert following.json()["number"].endswith("-000002")


async def test_unknown_service_type_is_kept_and_flagged_for_attention(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = await admin_http.post(
        f"{services.urls['intake']}/api/v1/orders",
        json=order_body(chain.branch["branch_id"], service_type="nao-existe"),
    )
    assert opened.status_code == 201
    placed = await eventually(
        lambda: _workflow_order(admin_http, services, opened.json()["order_id"])
    )
    assert placed["status"] == "needs_attention"
    assert "nao-existe" in placed["status_reason"]
