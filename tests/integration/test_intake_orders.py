"""Opening orders: numbers and idempotency under concurrent requests, references checked."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aio_pika
import asyncpg
import httpx
import pytest

from etapa_contracts.events import ServiceTypePublished
from etapa_contracts.topology import Topology
from tests.integration.conftest import (
    SeededChain,
    chain_without_flows,
    create_chain,
    order_body,
    refused_in_both_languages,
)
from tests.integration.harness import RunningServices, bearer, eventually

pytestmark = pytest.mark.integration


def _url(services: RunningServices, path: str) -> str:
    return f"{services.urls['intake']}/api/v1/{path}"


async def test_concurrent_orders_get_unique_numbers_without_gaps(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    body = order_body(chain.branch["branch_id"])
    responses = await asyncio.gather(
        *(admin_http.post(_url(services, "orders"), json=body) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [201] * 20
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"{chain.branch['code']}-{n:06d}" for n in range(1, 21)]


async def test_concurrent_retries_with_one_idempotency_key_open_one_order(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    body = order_body(chain.branch["branch_id"])
    key = {"Idempotency-Key": f"balcao-{uuid.uuid4()}"}
    responses = await asyncio.gather(
        *(admin_http.post(_url(services, "orders"), json=body, headers=key) for _ in range(10))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201]
    assert len({r.json()["order_id"] for r in responses}) == 1
    following = await admin_http.post(_url(services, "orders"), json=body)
    assert following.json()["number"].endswith("-000002")  # the retries took no number


@pytest.mark.parametrize(
    "typed", ["(11) 98765-4321", "+55 11 98765-4321", "11987654321", "+55 (11) 9 8765 4321"]
)
async def test_mobile_typed_any_usual_way_is_stored_in_e164(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain, typed: str
) -> None:
    customer = {"name": "Ana", "phone": typed, "sms_consent": False}
    opened = await admin_http.post(
        _url(services, "orders"), json=order_body(chain.branch["branch_id"], customer=customer)
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["customer_phone"] == "+5511987654321"
    assert opened.json()["sms_consent"] is False


async def test_order_keeps_items_prescription_dates_notes_and_reference(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    lab = await admin_http.post(
        _url(services, "labs"), json={"code": f"L{uuid.uuid4().hex[:6].upper()}", "name": "Lab"}
    )
    items = [
        {
            "kind": "lens",
            "description": "Multifocal 1.67",
            "prescription": {"od": {"esf": -2.25, "cil": -0.5, "eixo": 180}, "adicao": 2.0},
        },
        {"kind": "frame", "description": "Armação acetato", "quantity": 1},
        {"kind": "treatment", "description": "Antirreflexo"},
    ]
    in_a_week = (_branch_today().date() + timedelta(days=8)).isoformat()
    body = order_body(
        chain.branch["branch_id"],
        items=items,
        promised_date=in_a_week,
        lab_code=lab.json()["code"],
        notes="cliente prefere retirar à tarde",
        external_reference="ERP-778",
    )
    opened = await admin_http.post(_url(services, "orders"), json=body)
    assert opened.status_code == 201, opened.text
    got = (await admin_http.get(_url(services, f"orders/{opened.json()['order_id']}"))).json()
    assert got["items"][0]["prescription"]["od"]["esf"] == -2.25
    assert [i["kind"] for i in got["items"]] == ["lens", "frame", "treatment"]
    assert (got["promised_date"], got["lab_code"]) == (in_a_week, lab.json()["code"])
    assert (got["notes"], got["external_reference"]) == (
        "cliente prefere retirar à tarde",
        "ERP-778",
    )


def _branch_today() -> datetime:
    return datetime.now(ZoneInfo("America/Sao_Paulo"))


async def test_a_promised_date_before_today_in_the_branchs_zone_is_refused_naming_the_field(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    today = _branch_today().date()
    yesterday = today - timedelta(days=1)
    body = order_body(chain.branch["branch_id"], promised_date=yesterday.isoformat())

    refused = await admin_http.post(_url(services, "orders"), json=body)

    assert refused.status_code == 400, refused.text
    detail = refused.json()
    assert detail["detail"] == (
        f"promised_date: a data prometida ({yesterday:%d/%m/%Y}) já passou: hoje é "
        f"{today:%d/%m/%Y} na filial {chain.branch['code']}"
    )
    assert detail["extra"] == {"field": "promised_date"}
    today_body = order_body(
        chain.branch["branch_id"], promised_date=today.isoformat(), confirm_before_proposal=True
    )
    accepted = await admin_http.post(_url(services, "orders"), json=today_body)
    assert accepted.status_code == 201, accepted.text


async def test_lab_must_be_a_lab_of_the_chain(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    other_chain = await create_chain(services, http, f"Outra {uuid.uuid4().hex[:6]}")
    code = f"L{uuid.uuid4().hex[:6].upper()}"
    created = await http.post(
        _url(services, "labs"), json={"code": code, "name": "Lab"}, headers=bearer(other_chain)
    )
    assert created.status_code == 201
    for lab_code in (code, "NAOEXISTE"):
        refused = await http.post(
            _url(services, "orders"),
            json=order_body(chain.branch["branch_id"], lab_code=lab_code),
            headers=chain.headers,
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["detail"].startswith("lab_code: ")
    # Nothing half-written: the refused requests took no number.
    opened = await http.post(
        _url(services, "orders"), json=order_body(chain.branch["branch_id"]), headers=chain.headers
    )
    assert opened.json()["number"].endswith("-000001")


async def _publish_service_type(
    services: RunningServices, chain_id: str, code: str, active: bool = True
) -> None:
    event = ServiceTypePublished(
        occurred_at=datetime.now(UTC),
        correlation_id="test-service-types",
        chain_id=uuid.UUID(chain_id),
        code=code,
        name=code.title(),
        flow_version=1,
        active=active,
    )
    topology = Topology(prefix=services.env["ETAPA_TOPOLOGY_PREFIX"])
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.events_exchange)
        await exchange.publish(
            aio_pika.Message(event.model_dump_json().encode(), message_id=str(event.message_id)),
            routing_key=event.routing_key(),
            mandatory=True,
        )


async def _known_to_intake(services: RunningServices, chain_id: str, codes: set[str]) -> None:
    """Wait until intake's copy of the chain's service types holds ``codes``."""
    connection = await asyncpg.connect(services.env["INTAKE_DATABASE_URL"])
    try:

        async def known() -> bool:
            rows = await connection.fetch(
                "SELECT code FROM service_types WHERE chain_id = $1", uuid.UUID(chain_id)
            )
            return codes <= {r["code"] for r in rows}

        await eventually(known)
    finally:
        await connection.close()


async def test_unknown_service_type_is_refused_once_workflow_published_the_chains_types(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    chain = await chain_without_flows(services, http)
    admin_http = httpx.AsyncClient(timeout=10, headers=chain.headers)
    async with admin_http:
        await _refused_once_published(services, admin_http, chain)


async def _refused_once_published(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    url = _url(services, "orders")
    branch_id = chain.branch["branch_id"]
    before = await admin_http.post(url, json=order_body(branch_id, service_type="qualquer"))
    assert before.status_code == 201  # nothing published yet: workflow flags it instead

    await _publish_service_type(services, chain.chain_id, "teste")
    await _publish_service_type(services, chain.chain_id, "antigo", active=False)
    await _known_to_intake(services, chain.chain_id, {"teste", "antigo"})  # no order while waiting

    # pt-BR by default, English when asked (until 5 December: English whatever was asked)
    for body, portuguese, in_english in (
        (
            order_body(branch_id, service_type="qualquer"),
            "service_type: tipo de serviço 'qualquer' desconhecido nesta rede (ativos: teste)",
            "service_type: unknown service type 'qualquer' in this chain (known: teste)",
        ),
        (
            order_body(branch_id, service_type="antigo"),
            "service_type: o tipo de serviço 'antigo' foi desativado nesta rede",
            "service_type: service type 'antigo' is no longer active in this chain",
        ),
        (
            order_body(branch_id, lab_code="NAOEXISTE"),
            "lab_code: nenhum laboratório 'NAOEXISTE' nesta rede",
            "lab_code: no lab 'NAOEXISTE' in this chain",
        ),
        (
            order_body(
                branch_id, customer={"name": "ANA", "phone": "(11) 3253-1000", "sms_consent": True}
            ),
            "customer.phone: não é um número de celular; o SMS precisa de um celular",
            "customer.phone: not a mobile number; SMS needs a mobile phone",
        ),
    ):
        await refused_in_both_languages(admin_http, "POST", url, portuguese, in_english, json=body)
    known = await admin_http.post(url, json=order_body(branch_id, service_type="teste"))
    assert known.status_code == 201, known.text
    assert known.json()["number"].endswith("-000002")  # refusals took no number
