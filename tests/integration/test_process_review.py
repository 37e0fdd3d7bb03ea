"""Process review over real HTTP and PostgreSQL: what-if, suggestions, owners, reviews.

The history is two orders written into ``orders`` and ``stage_entries`` (the tables the
analytics read) of the ``teste`` flow: Recebido (1 business day), Produção (3), Pronto (0),
in a São Paulo branch, in a week with no holiday. Its quote from Monday 19/10/2026 10:00:
Recebido Tue 20 18:00; Produção Wed, Thu, Fri → Fri 23 18:00; Pronto the same closing time:
promised Fri 23/10.

- Order A: Recebido 24 h, Produção 72 h, Pronto 2 h → delivered Fri 23 12:00, on time (98 h).
- Order B: Recebido 24 h, Produção 96 h, Pronto 2 h → delivered Sat 24 12:00, late (122 h).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.auth import Role
from shared.database import create_pool
from tests.infra import bearer
from tests.integration.conftest import SeededChain
from tests.integration.harness import TEST_FLOW, RunningServices, eventually
from workflow.adapters.postgres.history_seed import PastOrder, PastStay, insert_history

pytestmark = pytest.mark.integration

SP = ZoneInfo("America/Sao_Paulo")
MONDAY_10 = datetime(2026, 10, 19, 10, 0, tzinfo=SP)
PERIOD = {"from": "2026-10-19", "to": "2026-10-31"}


def _past(branch_id: uuid.UUID, number: str, production_hours: float) -> PastOrder:
    received_out = MONDAY_10 + timedelta(hours=24)
    production_out = received_out + timedelta(hours=production_hours)
    stays = (
        PastStay(0, "recebido", "Recebido", MONDAY_10, datetime(2026, 10, 20, 18, tzinfo=SP),
                 received_out),
        PastStay(1, "producao", "Produção", received_out, datetime(2026, 10, 23, 18, tzinfo=SP),
                 production_out),
        PastStay(2, "pronto", "Pronto", production_out, production_out + timedelta(hours=8),
                 production_out + timedelta(hours=2)),
    )  # fmt: skip
    return PastOrder(
        order_id=uuid.uuid4(),
        number=number,
        branch_id=branch_id,
        service_type="teste",
        flow_version=1,
        customer_name="Cliente",
        lab_code=None,
        opened_at=MONDAY_10,
        promised_date=datetime(2026, 10, 23).date(),
        stays=stays,
    )


@pytest.fixture
async def history(services: RunningServices, http: httpx.AsyncClient, chain: SeededChain) -> str:
    workflow = services.urls["workflow"]
    branch_id = chain.branch["branch_id"]

    async def known() -> bool:
        response = await http.get(
            f"{workflow}/api/v1/branches/{branch_id}/calendar", headers=chain.headers
        )
        return response.status_code == 200

    await eventually(known)
    pool = await create_pool(services.env["WORKFLOW_DATABASE_URL"])
    try:
        async with pool.acquire() as conn, conn.transaction():
            branch = uuid.UUID(branch_id)
            orders = [_past(branch, "T-A", 72), _past(branch, "T-B", 96)]
            await insert_history(conn, uuid.UUID(chain.chain_id), orders)
    finally:
        await pool.close()
    return workflow


def _draft(*keys: str, **changes: Any) -> list[dict[str, Any]]:
    stages = []
    for stage in TEST_FLOW:
        if stage.key in keys:
            stages.append(
                {"key": stage.key, "name": stage.name, "planned_days": stage.planned_days}
                | changes.get(stage.key, {})
            )
    return stages


async def test_what_if_removing_production_flips_the_late_order(
    history: str, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    # Without Produção the promise is Tue 20; both orders are delivered Tue 20 12:00.
    response = await http.post(
        f"{history}/api/v1/service-types/teste/what-if",
        headers=chain.headers,
        json={"stages": _draft("recebido", "pronto"), **PERIOD},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["current"]["orders"] == 2
    assert (body["current"]["on_time_rate"], body["draft"]["on_time_rate"]) == (0.5, 1.0)
    assert (body["current"]["median_lead_hours"], body["current"]["p90_lead_hours"]) == (98, 122)
    assert (body["draft"]["median_lead_hours"], body["draft"]["p90_lead_hours"]) == (26, 26)
    assert body["late_to_on_time"] == 1
    assert body["on_time_to_late"] == 0
    (flip,) = body["late_to_on_time_samples"]
    assert flip["number"] == "T-B"
    assert flip["draft_promised_date"] == "2026-10-20"
    assert body["recorded_on_time_rate"] == 0.5


async def test_suggestions_come_from_the_stays_and_the_deliveries(
    history: str, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    response = await http.get(
        f"{history}/api/v1/service-types/teste/planned-days-suggestions",
        headers=chain.headers,
        params=PERIOD,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    production = next(s for s in body["stages"] if s["key"] == "producao")
    # A's stay (Tue 10:00 → Fri 10:00) needed 3 business days, B's (→ Sat 10:00) 4: the 80 %
    # nearest rank of two is the second.
    assert (production["suggested_days"], production["met_planned_rate"]) == (4, 0.5)
    # A was delivered 4 business days after opening, B 5 (Monday 26).
    assert [p["business_days"] for p in body["promises"]] == [5, 5, 5]


async def test_an_owner_reviews_and_the_chain_reads_the_history(
    history: str, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    owner = uuid.uuid4()
    owner_headers = bearer(chain.chain_id, Role.BRANCH_MANAGER, [chain.branch["branch_id"]], owner)
    base = f"{history}/api/v1/service-types/teste"

    refused = await http.put(
        f"{base}/process-owner",
        headers=owner_headers,
        json={"owner_id": str(owner), "owner_name": "Gerente", "cadence": "quarterly"},
    )
    assert refused.status_code == 403
    named = await http.put(
        f"{base}/process-owner",
        headers=chain.headers,
        json={"owner_id": str(owner), "owner_name": "Gerente", "cadence": "quarterly"},
    )
    assert named.status_code == 200, named.text
    assert named.json()["review_state"] == "due"  # a new owner reviews at once

    mine = await http.get(
        f"{history}/api/v1/process-reviews", headers=owner_headers, params={"owner": "me"}
    )
    assert [s["code"] for s in mine.json()["items"]] == ["teste"]

    review = await http.get(f"{base}/review", headers=owner_headers)
    assert review.status_code == 200, review.text
    period = review.json()["period"]
    assert (period["delivered"], period["on_time"]) == (2, 1)
    assert period["bottleneck"] == "producao"
    assert period["late_causes"] == [{"kind": "stage", "label": "Etapa Produção", "orders": 1}]

    stranger = bearer(chain.chain_id, Role.ATTENDANT, [chain.branch["branch_id"]])
    assert (
        await http.post(
            f"{base}/reviews", headers=stranger, json={"findings": "x", "decisions": "y"}
        )
    ).status_code == 403
    bad_version = await http.post(
        f"{base}/reviews",
        headers=owner_headers,
        json={"findings": "Produção atrasa", "decisions": "Nada", "resulting_version": 99},
    )
    assert bad_version.status_code == 400
    assert "resulting_version" in bad_version.text
    recorded = await http.post(
        f"{base}/reviews",
        headers=owner_headers,
        json={"findings": "Produção atrasa", "decisions": "Cobrar o laboratório",
              "resulting_version": 1},
    )  # fmt: skip
    assert recorded.status_code == 201, recorded.text

    listed = await http.get(f"{base}/reviews", headers=stranger)
    (item,) = listed.json()["items"]
    assert (item["findings"], item["resulting_version"]) == ("Produção atrasa", 1)
    assert item["figures"]["on_time_rate"] == 0.5
    after = await http.get(f"{history}/api/v1/process-reviews", headers=chain.headers)
    assert after.json()["items"][0]["review_state"] == "scheduled"


async def test_bad_drafts_and_periods_are_refused_naming_the_field(
    history: str, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    url = f"{history}/api/v1/service-types/teste/what-if"
    typed = _draft("recebido", "pronto", pronto={"typed_hours": -1})
    response = await http.post(url, headers=chain.headers, json={"stages": typed, **PERIOD})
    assert response.status_code == 400
    assert "stages[1].typed_hours" in response.text

    backwards = {"from": "2026-10-31", "to": "2026-10-01"}
    response = await http.post(
        url, headers=chain.headers, json={"stages": _draft("recebido"), **backwards}
    )
    assert response.status_code == 400
    assert "from:" in response.text

    response = await http.post(url, headers=chain.headers, json={"stages": [], **PERIOD})
    assert response.status_code == 400
    assert "stages" in response.text


async def test_another_chain_sees_no_history(
    history: str, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    other = bearer(uuid.uuid4())
    response = await http.post(
        f"{history}/api/v1/service-types/teste/what-if",
        headers=other,
        json={"stages": _draft("recebido"), **PERIOD},
    )
    assert response.status_code == 404
    assert (
        await http.get(f"{history}/api/v1/service-types/teste/reviews", headers=other)
    ).status_code == 404
    assert (await http.get(f"{history}/api/v1/service-types/teste/what-if")).status_code in (
        401,
        405,
    )


async def test_analytics_split_by_flow_version_where_versions_differ(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    """Two versions of "oculos" in the period: its figures per version; "reparo" ran one
    version, so it is not split."""
    chain_id, branch = uuid.uuid4(), uuid.uuid4()
    pool = await create_pool(services.env["WORKFLOW_DATABASE_URL"])
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO branches (branch_id, chain_id, code, name, state, city, timezone, "
                "updated_at) VALUES ($1, $2, 'FV01', 'Loja', 'SP', 'São Paulo', "
                "'America/Sao_Paulo', now())",
                branch,
                chain_id,
            )
            orders = []
            for number, code, version, hours in (
                ("FV-1", "oculos", 1, 96), ("FV-2", "oculos", 1, 72), ("FV-3", "oculos", 2, 24),
                ("FV-4", "reparo", 3, 24), ("FV-5", "reparo", 3, 48),
            ):  # fmt: skip
                past = _past(branch, number, hours)
                orders.append(
                    PastOrder(
                        past.order_id,
                        number,
                        branch,
                        code,
                        version,
                        "Cliente",
                        None,
                        past.opened_at,
                        past.promised_date,
                        past.stays,
                    )
                )
            await insert_history(conn, chain_id, orders)
    finally:
        await pool.close()
    headers = bearer(chain_id)
    base = f"{services.urls['workflow']}/api/v1/analytics"

    leads = (await http.get(f"{base}/lead-times", params=PERIOD, headers=headers)).json()
    assert [(i["key"], i["flow_version"], i["orders"]) for i in leads["items"]] == [
        ("oculos", 1, 2),
        ("oculos", 2, 1),
        ("reparo", None, 2),
    ]
    stages = (await http.get(f"{base}/stage-times", params=PERIOD, headers=headers)).json()
    production = [
        (i["service_type"], i["flow_version"], i["median_hours"])
        for i in stages["items"]
        if i["stage_key"] == "producao"
    ]
    # percentile_cont's median of 96 h and 72 h is 84 h.
    assert production == [("oculos", 1, 84.0), ("oculos", 2, 24.0), ("reparo", None, 36.0)]
