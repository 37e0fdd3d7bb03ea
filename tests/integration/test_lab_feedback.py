"""A lab's feedback and the binding of an order to a lab (issue 15, items 8 and 9).

Before: a lab could not read its own rejected or stale messages; ``lab_code`` was required in
the body although the routing key (or the API key) names the lab; any lab of the chain could
move an order opened without a lab; a refusal named the lab holding the order.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices, lab_time
from tests.integration.test_intake_labs import Lab, _lab, _open, _status, _url

pytestmark = pytest.mark.integration


async def _key(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain, lab: Lab
) -> dict[str, str]:
    created = await http.post(
        _url(services, f"labs/{lab.lab_id}/keys"), json={"label": "ERP"}, headers=chain.headers
    )
    assert created.status_code == 201, created.text
    return {"X-Lab-Key": created.json()["key"]}


async def _post(
    services: RunningServices, http: httpx.AsyncClient, key: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    return await http.post(_url(services, "lab-updates"), json=body, headers=key)


async def test_an_order_is_bound_to_its_first_lab_and_each_lab_reads_its_own_feedback(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    first, second = await _lab(services, http, chain), await _lab(services, http, chain)
    first_key, second_key = (
        await _key(services, http, chain, first),
        await _key(services, http, chain, second),
    )
    order = await _open(services, http, chain)  # opened without a lab
    number = order["number"]

    without_code = _status(first, number)
    del without_code["lab_code"]  # the key names the lab: lab_code is optional
    accepted = await _post(services, http, first_key, without_code)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "accepted"

    moved = await _post(services, http, second_key, _status(second, number, status="shipped"))
    assert moved.status_code == 422, moved.text
    assert moved.json()["reason"] == f"order_number: a OS {number} está com outro laboratório"
    assert first.code not in moved.text

    older = _status(first, number, status="in_production", occurred_at=lab_time(hours=-5))
    stale = await _post(services, http, first_key, older)
    assert stale.json()["status"] == "stale"

    mine = await http.get(_url(services, "lab-updates"), headers=second_key)
    assert mine.status_code == 200, mine.text
    items = mine.json()["items"]
    assert [(m["status"], m["reason"]) for m in items] == [
        ("rejected", f"order_number: a OS {number} está com outro laboratório")
    ]
    in_english = await http.get(
        _url(services, "lab-updates"), headers={**second_key, "Accept-Language": "en"}
    )
    assert [m["reason"] for m in in_english.json()["items"]] == [
        f"order_number: order {number} is with another lab"
    ]
    first_stale = await http.get(
        _url(services, "lab-updates"), params={"status": "stale"}, headers=first_key
    )
    assert [m["message_id"] for m in first_stale.json()["items"]] == [older["message_id"]]
    assert "occurred_at" in first_stale.json()["items"][0]["reason"]
    noted = _status(first, number, status="shipped", note="enviado pela transportadora X")
    assert (await _post(services, http, first_key, noted)).json()["status"] == "accepted"

    wrong = await http.get(_url(services, "lab-updates"), headers={"X-Lab-Key": "etl_wrong"})
    assert wrong.status_code == 401
    nothing = await http.get(_url(services, "lab-updates"))
    assert nothing.status_code == 401
    staff = await http.get(_url(services, "lab-updates"), headers=chain.headers)
    assert {m["lab_code"] for m in staff.json()["items"]} == {first.code, second.code}
