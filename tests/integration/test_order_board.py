"""Workflow's board over HTTP (``GET /api/v1/orders/board``): each stage's most urgent open
orders and how many it holds, the counters over all of them, the list's filters, and nothing of
another chain or branch."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.infra import bearer
from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices
from tests.integration.order_engine_kit import (
    action,
    open_and_wait,
    opened_event,
    publish,
    wait_for,
    workflow_pool,
)

pytestmark = pytest.mark.integration

LATER = date(2099, 1, 1)


@pytest.fixture
async def http(chain: SeededChain) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, headers=chain.headers) as client:
        yield client


async def _board(
    http: httpx.AsyncClient, services: RunningServices, **params: Any
) -> httpx.Response:
    return await http.get(
        f"{services.urls['workflow']}/api/v1/orders/board",
        params={"service_type": "teste", **params},
    )


def _columns(board: dict[str, Any]) -> dict[str, tuple[int, list[str]]]:
    return {
        c["stage_key"]: (c["count"], [o["customer_name"] for o in c["orders"]])
        for c in board["columns"]
    }


async def test_the_board_shows_each_stages_most_urgent_orders_and_counts_them_all(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    names = ["Ana", "Bia", "Caio", "Davi", "Eva", "Fabio", "Gil"]
    opened = {name: opened_event(chain, customer=name, promised_date=LATER) for name in names}
    for event in opened.values():
        await open_and_wait(services, http, event)
    await publish(services, action(opened["Fabio"], "advance"))
    await wait_for(http, services, opened["Fabio"].order_id, lambda d: d["stage_position"] == 1)
    await publish(services, action(opened["Gil"], "advance", target_stage="pronto"))
    await publish(services, action(opened["Gil"], "deliver"))
    await wait_for(http, services, opened["Gil"].order_id, lambda d: d["status"] == "delivered")

    today = datetime.now(ZoneInfo(chain.branch["timezone"])).date()
    # (risk, hours until the stage is due, promised date, assignee); the next risk check a day
    # away, so the sweeper leaves these as they are.
    states = {
        "Ana": ("on_track", 3, LATER, None),
        "Bia": ("overdue", 120, LATER, None),
        "Caio": ("on_track", 1, today, "Bruno Tecnico"),
        "Davi": ("at_risk", 24, LATER, None),
        "Eva": ("on_track", 2, today, None),
    }
    async with workflow_pool(services) as pool:
        for name, (risk, hours, promised, assignee) in states.items():
            await pool.execute(
                """
                UPDATE orders SET risk_level = $2,
                    stage_due_at = now() + make_interval(hours => $3), promised_date = $4,
                    assignee = $5, risk_check_at = now() + interval '1 day'
                WHERE order_id = $1
                """,
                opened[name].order_id,
                risk,
                hours,
                promised,
                assignee,
            )

    response = await _board(http, services, per_column=3)
    assert response.status_code == 200, response.text
    board = response.json()
    # Overdue, then at risk, then on track by the stage due soonest; three shown of five.
    assert _columns(board) == {
        "recebido": (5, ["Bia", "Davi", "Caio"]),
        "producao": (1, ["Fabio"]),
    }
    assert [c["stage_key"] for c in board["columns"]] == ["recebido", "producao"]
    assert board["counters"] == {"open": 6, "at_risk": 1, "overdue": 1, "deliver_today": 2}
    assert board["assignees"] == ["Bruno Tecnico"]
    shown = board["columns"][0]["orders"][0]
    assert shown["stage_due_at"].endswith(("-03:00", "-04:00", "-05:00", "-02:00"))  # branch's

    at_risk = (await _board(http, services, risk="at_risk")).json()
    assert _columns(at_risk) == {"recebido": (1, ["Davi"])}
    assert at_risk["counters"] == {"open": 1, "at_risk": 1, "overdue": 0, "deliver_today": 0}
    held = (await _board(http, services, assignee="Bruno Tecnico")).json()
    assert _columns(held) == {"recebido": (1, ["Caio"])}
    found = (await _board(http, services, text="eva")).json()
    assert _columns(found) == {"recebido": (1, ["Eva"])}
    other_type = (await _board(http, services, service_type="lab")).json()
    assert other_type["columns"] == []
    assert other_type["counters"]["open"] == 0

    url = f"{services.urls['workflow']}/api/v1/orders/board?service_type=teste"
    for outsider in (
        bearer(uuid.uuid4()),
        bearer(chain.chain_id, "branch_manager", [uuid.uuid4()]),
    ):
        hidden = await http.get(url, headers=outsider)
        assert hidden.status_code == 200, hidden.text
        assert hidden.json()["columns"] == []
        assert hidden.json()["counters"]["open"] == 0


async def test_a_board_needs_its_service_type_and_a_sensible_column_size(
    services: RunningServices, http: httpx.AsyncClient
) -> None:
    url = f"{services.urls['workflow']}/api/v1/orders/board"
    missing = await http.get(url)
    assert missing.status_code == 400
    assert "service_type" in missing.text
    for size in ("0", "201", "muitos"):
        bad = await http.get(url, params={"service_type": "teste", "per_column": size})
        assert bad.status_code == 400, size
        assert "per_column" in bad.text
    async with httpx.AsyncClient(timeout=10) as anonymous:
        refused = await anonymous.get(url, params={"service_type": "teste"})
    assert refused.status_code == 401
