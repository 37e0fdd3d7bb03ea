"""Inputs a review found could hurt intake: each is now a clear 4xx, and nothing gets stuck."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually

pytestmark = pytest.mark.integration


def _intake(services: RunningServices, path: str) -> str:
    return f"{services.urls['intake']}/api/v1/{path}"


async def test_an_odd_correlation_id_never_blocks_the_outbox(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    body = order_body(chain.branch["branch_id"])
    odd = await admin_http.post(
        _intake(services, "orders"), json=body, headers={"X-Correlation-ID": "x" * 300}
    )
    assert odd.status_code == 201
    assert len(odd.headers["X-Correlation-ID"]) < 100  # replaced by a fresh one
    raw = await admin_http.post(
        _intake(services, "orders"), json=body, headers=[(b"X-Correlation-ID", b"\xff\xfe")]
    )
    assert raw.status_code == 201
    following = await admin_http.post(_intake(services, "orders"), json=body)

    async def placed() -> Any:
        response = await admin_http.get(
            f"{services.urls['workflow']}/api/v1/orders/{following.json()['order_id']}"
        )
        return response.status_code == 200

    assert await eventually(placed)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": {"name": "Ana\u0000", "phone": "11987654321"}}, "customer.name"),
        ({"notes": "a\u0000b"}, "notes"),
        ({"items": [{"description": "lente\u0000"}]}, "items[0].description"),
    ],
)
async def test_a_nul_character_is_a_400_naming_the_field(
    services: RunningServices,
    admin_http: httpx.AsyncClient,
    chain: SeededChain,
    change: dict[str, Any],
    field: str,
) -> None:
    response = await admin_http.post(
        _intake(services, "orders"), json=order_body(chain.branch["branch_id"]) | change
    )
    assert response.status_code == 400, response.text
    assert field in response.text
    assert "NUL" in response.text
    sign_in = await admin_http.post(
        _intake(services, "auth/token"), json={"email": "a\u0000@x.com", "password": "x"}
    )
    assert sign_in.status_code == 400


async def test_lab_messages_that_break_json_readers_are_kept_rejected(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    code = f"L{uuid.uuid4().hex[:8].upper()}"
    lab = await admin_http.post(_intake(services, "labs"), json={"code": code, "name": "Lab"})
    key = await admin_http.post(_intake(services, f"labs/{lab.json()['lab_id']}/keys"), json={})
    assert key.status_code == 201, key.text
    headers = {"X-Lab-Key": key.json()["key"], "content-type": "application/json"}
    for body in (
        b'{"message_id": "m1", "n": ' + b"9" * 5000 + b"}",
        b"[" * 5000 + b"]" * 5000,
        b'{"message_id": "a\\u0000b", "lab_code": "' + code.encode() + b'", "status": "received"}',
    ):
        response = await admin_http.post(
            _intake(services, "lab-updates"), content=body, headers=headers
        )
        assert response.status_code == 400, response.text
        assert response.json()["status"] == "rejected"
    rejected = await admin_http.get(_intake(services, "lab-updates"), params={"status": "rejected"})
    assert len(rejected.json()["items"]) == 3


async def test_users_list_says_when_there_is_a_next_page(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    for index in range(2):
        created = await admin_http.post(
            _intake(services, "users"),
            json={"email": f"u{index}-{uuid.uuid4().hex[:6]}@example.com", "name": f"U{index}",
                  "role": "viewer", "password": "senha-longa-123"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
    first = await admin_http.get(_intake(services, "users"), params={"limit": 2})
    assert first.json()["next_offset"] == 2
    last = await admin_http.get(_intake(services, "users"), params={"limit": 2, "offset": 2})
    assert last.json()["next_offset"] is None  # the chain's admin and two viewers


async def test_a_branch_code_that_numbers_orders_stays_with_them(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    branch = chain.branch
    opened = await admin_http.post(
        _intake(services, "orders"), json=order_body(branch["branch_id"])
    )
    assert opened.status_code == 201
    fields = {k: branch[k] for k in ("name", "state", "city", "timezone")}
    renamed = await admin_http.put(
        _intake(services, f"branches/{branch['branch_id']}"), json=fields | {"code": "NOVO9"}
    )
    assert renamed.status_code == 409
    assert "code" in renamed.text
    same_code = await admin_http.put(
        _intake(services, f"branches/{branch['branch_id']}"),
        json=fields | {"code": branch["code"], "name": "Loja renomeada"},
    )
    assert same_code.status_code == 200


@pytest.mark.parametrize(
    "window",
    [
        {"starts_at": "20:00", "ends_at": "08:00"},
        {"weekdays": []},
        {"starts_at": "08:00Z"},
    ],
)
async def test_a_sending_window_that_never_opens_is_refused(
    services: RunningServices, admin_http: httpx.AsyncClient, window: dict[str, Any]
) -> None:
    response = await admin_http.post(
        _intake(services, "branches"),
        json={"code": "JAN1", "name": "Loja", "state": "SP", "city": "Campinas",
              "sending_window": window},
    )  # fmt: skip
    assert response.status_code == 400, response.text
    assert "sending_window" in response.text
