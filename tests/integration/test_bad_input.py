"""Bad requests get a 4xx that names the field and the problem, and write nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("change", "status", "mentions"),
    [
        ({"customer": {"name": "Ana", "phone": "123", "sms_consent": True}}, 400, "phone"),
        (
            {"customer": {"name": "Ana", "phone": "(11) 3253-1000", "sms_consent": True}},
            400,
            "celular",
        ),
        ({"customer": {"name": "", "phone": "11987654321", "sms_consent": True}}, 400, "name"),
        ({"service_type": "Tipo Com Espaço"}, 400, "service_type"),
        ({"promised_date": "31/12/2026"}, 400, "promised_date"),
        ({"surprise": 1}, 400, "surprise"),
        ({"branch_id": str(uuid.uuid4())}, 400, "branch_id"),
    ],
)
async def test_bad_order_is_refused_with_the_field_named(
    services: RunningServices,
    http: httpx.AsyncClient,
    chain: SeededChain,
    change: dict[str, object],
    status: int,
    mentions: str,
) -> None:
    body = order_body(chain.branch["branch_id"]) | change
    response = await http.post(
        f"{services.urls['intake']}/api/v1/orders", json=body, headers=chain.headers
    )
    assert response.status_code == status, response.text
    assert mentions in response.text

    listed = await http.get(f"{services.urls['workflow']}/api/v1/orders", headers=chain.headers)
    assert listed.json()["items"] == []


async def test_body_over_the_limit_is_413(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    response = await http.post(
        f"{services.urls['intake']}/api/v1/orders",
        content=b"{" + b" " * 2_000_000 + b"}",
        headers={"content-type": "application/json", **chain.headers},
    )
    assert response.status_code == 413


async def test_page_size_is_capped(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    response = await http.get(
        f"{services.urls['workflow']}/api/v1/orders",
        params={"limit": 10_000},
        headers=chain.headers,
    )
    assert response.status_code == 400
    assert "limit" in response.text


async def test_a_nul_character_in_a_query_is_a_400_not_a_server_error(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    # found by make fuzz: ?assignee=...%00... reached PostgreSQL and answered 500
    for service, path, param in (
        ("workflow", "/api/v1/orders", "assignee"),
        ("workflow", "/api/v1/orders", "text"),
        ("notifier", "/api/v1/messages", "status"),
    ):
        response = await http.get(
            f"{services.urls[service]}{path}", params={param: "a\x00b"}, headers=chain.headers
        )
        assert response.status_code == 400, (service, param, response.text)


async def test_an_offset_past_any_real_list_is_400_not_a_server_error(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    # found by the fuzz run: an offset beyond PostgreSQL's bigint used to answer 500
    for service, path in (("workflow", "/api/v1/orders"), ("notifier", "/api/v1/messages")):
        response = await http.get(
            f"{services.urls[service]}{path}",
            params={"offset": 29623430241352204288},
            headers=chain.headers,
        )
        assert response.status_code == 400, response.text
        assert "offset" in response.text


async def test_unknown_order_is_404(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    response = await http.get(
        f"{services.urls['workflow']}/api/v1/orders/{uuid.uuid4()}", headers=chain.headers
    )
    assert response.status_code == 404
