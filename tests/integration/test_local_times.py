"""Times for people carry the branch's offset in every service's answers (issue 14, item 3):
intake's order and action answers and lab messages, the notifier's messages, next to
workflow's order detail — never a bare UTC ``Z`` beside local times elsewhere."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually, lab_time

pytestmark = pytest.mark.integration

SAO_PAULO = "-03:00"


async def test_every_time_for_people_is_in_the_branchs_zone(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake, notifier = services.urls["intake"], services.urls["notifier"]
    opened = await http.post(
        f"{intake}/api/v1/orders", json=order_body(chain.branch["branch_id"]), headers=chain.headers
    )
    assert opened.status_code == 201, opened.text
    order = opened.json()
    assert order["opened_at"].endswith(SAO_PAULO)
    assert order["branch_timezone"] == "America/Sao_Paulo"
    read = await http.get(f"{intake}/api/v1/orders/{order['order_id']}", headers=chain.headers)
    assert read.json()["opened_at"].endswith(SAO_PAULO)

    action = await http.post(
        f"{intake}/api/v1/orders/{order['order_id']}/actions",
        json={"action": "note", "note": "cliente ligou"},
        headers=chain.headers,
    )
    assert action.status_code == 202, action.text
    assert action.json()["requested_at"].endswith(SAO_PAULO)

    async def messages() -> list[dict[str, Any]]:
        answer = await http.get(
            f"{notifier}/api/v1/messages",
            params={"order_id": order["order_id"]},
            headers=chain.headers,
        )
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    message = (await eventually(messages))[0]
    assert message["created_at"].endswith(SAO_PAULO)
    assert message["updated_at"].endswith(SAO_PAULO)
    assert message["branch_timezone"] == "America/Sao_Paulo"

    code = f"LT{uuid.uuid4().hex[:6].upper()}"
    lab = await http.post(
        f"{intake}/api/v1/labs", headers=chain.headers, json={"code": code, "name": "L"}
    )
    assert lab.status_code == 201, lab.text
    key = await http.post(
        f"{intake}/api/v1/labs/{lab.json()['lab_id']}/keys", headers=chain.headers, json={}
    )
    sent = await http.post(
        f"{intake}/api/v1/lab-updates",
        headers={"X-Lab-Key": key.json()["key"]},
        json={"message_id": uuid.uuid4().hex, "lab_code": code, "status": "received",
              "order_number": order["number"], "occurred_at": lab_time(hours=-2)},
    )  # fmt: skip
    assert sent.status_code in (202, 422), sent.text
    update = await http.get(
        f"{intake}/api/v1/lab-updates/{sent.json()['lab_message_id']}", headers=chain.headers
    )
    body = update.json()
    assert body["received_at"].endswith(SAO_PAULO), body
    assert body["occurred_at"].endswith(SAO_PAULO)
    assert body["branch_timezone"] == "America/Sao_Paulo"
