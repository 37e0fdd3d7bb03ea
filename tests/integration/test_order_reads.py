"""Reading orders over HTTP: filters, pagination, the detail's history, tenant isolation,
and analytics computed from a small known history."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from tests.infra import bearer
from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices, eventually
from tests.integration.order_engine_kit import (
    action,
    detail,
    now,
    open_and_wait,
    opened_event,
    publish,
    save_flow,
    wait_for,
    workflow_pool,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def http(chain: SeededChain) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, headers=chain.headers) as client:
        yield client


async def _numbers(http: httpx.AsyncClient, services: RunningServices, **params: Any) -> list[str]:
    response = await http.get(f"{services.urls['workflow']}/api/v1/orders", params=params)
    assert response.status_code == 200, response.text
    return sorted(item["number"] for item in response.json()["items"])


async def test_the_order_list_filters_by_service_type_stage_risk_assignee_text_and_branch(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    await save_flow(services, chain, "lab")
    promise = date(2099, 1, 1)
    ana = opened_event(chain, customer="Ana Souza", promised_date=promise)
    bruno = opened_event(chain, customer="Bruno Lima", promised_date=promise)
    carla = opened_event(chain, customer="Carla Dias", service_type="lab", promised_date=promise)
    for opened in (ana, bruno, carla):
        await open_and_wait(services, http, opened)
    await publish(services, action(ana, "advance"))
    await publish(services, action(bruno, "assign", assignee="bruno.tecnico"))
    async with workflow_pool(services) as pool:
        await pool.execute(
            """
            UPDATE orders SET stage_due_at = now() - interval '1 hour',
                stage_planned_due_at = now() - interval '1 hour', risk_check_at = now()
            WHERE order_id = $1
            """,
            carla.order_id,
        )
    await wait_for(http, services, ana.order_id, lambda d: d["stage_key"] == "producao")
    await wait_for(http, services, bruno.order_id, lambda d: d["assignee"])
    await wait_for(http, services, carla.order_id, lambda d: d["risk_level"] == "overdue")

    branch = chain.branch["branch_id"]
    assert await _numbers(http, services, service_type="lab") == [carla.order_number]
    assert await _numbers(http, services, stage="producao") == [ana.order_number]
    assert await _numbers(http, services, assignee="bruno.tecnico") == [bruno.order_number]
    assert await _numbers(http, services, risk="overdue") == [carla.order_number]
    assert await _numbers(http, services, text="souza") == [ana.order_number]
    assert await _numbers(http, services, text=bruno.order_number) == [bruno.order_number]
    assert await _numbers(http, services, text="_") == []  # a literal underscore, not a wildcard
    assert await _numbers(http, services, text="%") == []
    assert len(await _numbers(http, services, branch=branch)) == 3
    assert await _numbers(http, services, branch=str(uuid.uuid4())) == []

    first = (await http.get(f"{services.urls['workflow']}/api/v1/orders?limit=2")).json()
    rest = (await http.get(f"{services.urls['workflow']}/api/v1/orders?limit=2&offset=2")).json()
    assert (len(first["items"]), first["next_offset"]) == (2, 2)
    assert (len(rest["items"]), rest["next_offset"]) == (1, None)

    bad = await http.get(f"{services.urls['workflow']}/api/v1/orders", params={"risk": "late"})
    assert bad.status_code == 400
    assert "risk" in bad.text


async def test_the_detail_has_stages_messages_and_risk_and_other_chains_see_nothing(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = opened_event(chain, promised_date=date(2099, 1, 1))
    await open_and_wait(services, http, opened)

    # The "Recebido" stage sends an SMS: its status comes back from the notifier.
    found = await wait_for(
        http,
        services,
        opened.order_id,
        lambda d: d["messages"] and d["messages"][0]["status"] == "sent",
    )

    assert found["messages"][0]["entry_sequence"] == 1
    assert found["stages"][0]["stage_key"] == "recebido"
    assert found["stages"][0]["planned_due_at"] == found["stage_due_at"]
    assert (found["risk_level"], found["risk_reason"]) == ("on_track", "Dentro do prazo")
    assert (found["paused"], found["clock_stopped"], found["assignee"]) == (False, False, None)
    assert (found["reopened_from"], found["remakes"]) == (None, [])
    assert [t["kind"] for t in found["timeline"]][:2] == ["opened", "stage_entered"]

    stranger = bearer(uuid.uuid4())
    url = f"{services.urls['workflow']}/api/v1/orders"
    assert (await http.get(f"{url}/{opened.order_id}", headers=stranger)).status_code == 404
    assert (await http.get(url, headers=stranger)).json()["items"] == []
    other_branch_manager = bearer(chain.chain_id, "branch_manager", [uuid.uuid4()])
    hidden = await http.get(f"{url}/{opened.order_id}", headers=other_branch_manager)
    assert hidden.status_code == 404


# --- analytics on a small known history ---------------------------------------------------------

SP = ZoneInfo("America/Sao_Paulo")
OPENED = datetime(2026, 1, 5, 9, 0, tzinfo=SP)  # Monday


async def _history(pool: asyncpg.Pool, chain_id: uuid.UUID) -> None:
    """Three delivered "oculos" orders (10 h, 20 h, 60 h; two labs; promised 06/01) and one
    "reparo" (5 h), each with a "recebido" stay of 1 h and, for "oculos", a "montagem" stay
    of 2 h, 4 h and 9 h against a 3 h due time."""
    branch_id = uuid.uuid4()
    await pool.execute(
        """
        INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone, updated_at)
        VALUES ($1, $2, 'AN01', 'Loja Analítica', 'SP', 'São Paulo', 'America/Sao_Paulo', now())
        """,
        branch_id,
        chain_id,
    )
    orders = [
        ("oculos", 10, "LAB1", 2),
        ("oculos", 20, "LAB1", 4),
        ("oculos", 60, "LAB2", 9),
        ("reparo", 5, None, None),
    ]
    for index, (service_type, hours, lab, montagem) in enumerate(orders):
        order_id = uuid.uuid4()
        await pool.execute(
            """
            INSERT INTO orders (order_id, chain_id, branch_id, number, service_type,
                customer_name, lab_code, status, opened_at, updated_at, closed_at, promised_date)
            VALUES ($1, $2, $3, $4, $5, 'Cliente', $6, 'delivered', $7, $8, $8, $9)
            """,
            order_id,
            chain_id,
            branch_id,
            f"AN01-{index:06d}",
            service_type,
            lab,
            OPENED,
            OPENED + timedelta(hours=hours),
            date(2026, 1, 6),
        )
        stays = [("recebido", "Recebido", 1, 2)]
        if montagem is not None:
            stays.append(("montagem", "Montagem", montagem, 3))
        entered = OPENED
        for sequence, (key, name, stay, due) in enumerate(stays, start=1):
            await pool.execute(
                """
                INSERT INTO stage_entries (order_id, entry_sequence, chain_id, stage_position,
                    stage_key, stage_name, entered_at, planned_due_at, due_at, exited_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
                """,
                order_id,
                sequence,
                chain_id,
                sequence - 1,
                key,
                name,
                entered,
                entered + timedelta(hours=due),
                entered + timedelta(hours=stay),
            )
            entered += timedelta(hours=stay)


async def test_analytics_from_a_known_history(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    chain_id = uuid.uuid4()
    async with workflow_pool(services) as pool:
        await _history(pool, chain_id)
    headers = bearer(chain_id)
    base = f"{services.urls['workflow']}/api/v1/analytics"
    period = {"from": "2026-01-01", "to": "2026-01-31"}

    async def get(path: str, **params: Any) -> Any:
        response = await http.get(f"{base}/{path}", params={**period, **params}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    by_type = {i["key"]: i for i in (await get("lead-times"))["items"]}
    assert by_type["oculos"] == {
        "key": "oculos",
        "flow_version": None,  # one version only: not split
        "orders": 3,
        "avg_hours": 30.0,
        "median_hours": 20.0,
        "p90_hours": 52.0,  # 20 + 0.8 × (60 − 20)
        "on_time_rate": 0.667,  # delivered 05/01 and 06/01 on time, 07/01 late
    }
    assert by_type["reparo"]["avg_hours"] == 5.0
    by_lab = {i["key"]: i for i in (await get("lead-times", by="lab"))["items"]}
    assert (by_lab["LAB1"]["median_hours"], by_lab["LAB1"]["p90_hours"]) == (15.0, 19.0)
    assert set(by_lab) == {"LAB1", "LAB2"}
    by_branch = (await get("lead-times", by="branch"))["items"]
    assert [(i["key"], i["orders"]) for i in by_branch] == [("AN01", 4)]

    stages = {(i["service_type"], i["stage_key"]): i for i in (await get("stage-times"))["items"]}
    montagem = stages[("oculos", "montagem")]
    assert (montagem["avg_hours"], montagem["median_hours"], montagem["p90_hours"]) == (
        5.0,
        4.0,
        8.0,
    )
    assert (montagem["late_rate"], montagem["avg_late_hours"]) == (0.667, 2.333)
    assert montagem["avg_planned_hours"] == 3.0  # against planned: the due time at entry
    assert stages[("oculos", "recebido")]["avg_hours"] == 1.0

    slowest = (await get("slowest-stages", limit=1))["items"]
    assert [(s["service_type"], s["stage_key"]) for s in slowest] == [("oculos", "montagem")]

    assert await get("on-time") == {
        **period,
        "delivered": 4,
        "on_time": 3,
        "late": 1,
        "on_time_rate": 0.75,
        "weeks": [  # all delivered in the week of Monday 05/01
            {"week": "2026-01-05", "delivered": 4, "on_time": 3, "on_time_rate": 0.75}
        ],
    }
    early = await get("on-time", to="2026-01-06")
    assert (early["delivered"], early["on_time_rate"]) == (3, 1.0)

    backwards = await http.get(
        f"{base}/on-time", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=headers
    )
    assert backwards.status_code == 400
    assert "from" in backwards.text
    for path in ("stage-times", "slowest-stages"):  # found by make fuzz: a 500 before
        ancient = await http.get(f"{base}/{path}", params={"to": "0001-01-01"}, headers=headers)
        assert ancient.status_code == 400, ancient.text
        assert "to:" in ancient.text
    other_chain = await http.get(f"{base}/on-time", params=period, headers=bearer(uuid.uuid4()))
    assert other_chain.json()["delivered"] == 0


async def test_analytics_count_what_the_engine_recorded(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = opened_event(chain, promised_date=date(2099, 1, 1))
    await open_and_wait(services, http, opened)
    await publish(services, action(opened, "advance", target_stage="pronto"))
    await publish(services, action(opened, "deliver"))
    await wait_for(http, services, opened.order_id, lambda d: d["status"] == "delivered")
    today = now().astimezone(SP).date().isoformat()

    async def delivered() -> Any:
        response = await http.get(
            f"{services.urls['workflow']}/api/v1/analytics/on-time",
            params={"from": today, "to": today},
        )
        body = response.json()
        return body if body["delivered"] == 1 else None

    assert (await eventually(delivered))["on_time_rate"] == 1.0
    stays = await http.get(
        f"{services.urls['workflow']}/api/v1/analytics/stage-times",
        params={"from": today, "to": today},
    )
    assert [i["stage_key"] for i in stays.json()["items"]] == ["recebido", "pronto"]
    assert (await detail(http, services, opened.order_id))["stages"][-1]["exited_at"]
