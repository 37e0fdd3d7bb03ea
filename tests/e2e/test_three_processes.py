"""End to end: the three services as separate processes, as ``make run`` starts them."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.infra import OPERATOR_KEY
from tests.integration.harness import eventually, save_test_flow

pytestmark = pytest.mark.e2e


async def test_an_order_posted_to_intake_reaches_the_notifier_as_an_sms(
    processes: dict[str, str], http: httpx.AsyncClient
) -> None:
    intake = processes["intake"]
    admin = {"email": f"e2e-{uuid.uuid4().hex[:6]}@example.com", "password": "senha-e2e-12345"}
    chain = (
        await http.post(
            f"{intake}/api/v1/chains",
            headers={"X-Operator-Key": OPERATOR_KEY},
            json={"name": f"Rede E2E {uuid.uuid4().hex[:6]}", "admin": {**admin, "name": "Ed"}},
        )
    ).json()
    signed_in = await http.post(f"{intake}/api/v1/auth/token", json=admin)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["role"] == "chain_admin"
    auth = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    branch = (
        await http.post(
            f"{intake}/api/v1/branches",
            headers=auth,
            json={
                "code": "E2E01",
                "name": "Ótica Ponta a Ponta",
                "state": "RJ",
                "city": "Rio de Janeiro",
                "timezone": "America/Sao_Paulo",
            },
        )
    ).json()
    await save_test_flow(processes["workflow_database"], uuid.UUID(chain["chain_id"]))

    order = await http.post(
        f"{intake}/api/v1/orders",
        json={
            "branch_id": branch["branch_id"],
            "service_type": "teste",
            "customer": {
                "name": "Beatriz Souza",
                "phone": "+55 21 99876-5432",
                "sms_consent": True,
            },
            "promised_date": "2099-12-18",
        },
        headers={"Idempotency-Key": str(uuid.uuid4()), **auth},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]

    async def sms() -> list[dict[str, object]] | None:
        response = await http.get(
            f"{processes['notifier']}/api/v1/messages", params={"order_id": order_id}, headers=auth
        )
        items: list[dict[str, object]] = response.json()["items"]
        return items if items and items[0]["status"] == "sent" else None

    messages = await eventually(sms, timeout=20)
    assert messages[0]["body"] == (
        "Olá Beatriz! OS E2E01-000001 recebida na Ótica Ponta a Ponta. Entrega: 18/12/2099."
    )
    detail = (
        await http.get(f"{processes['workflow']}/api/v1/orders/{order_id}", headers=auth)
    ).json()
    assert detail["stage_name"] == "Recebido"
    assert detail["promised_date"] == "2099-12-18"
    assert detail["promised_date_proposed"] is False
