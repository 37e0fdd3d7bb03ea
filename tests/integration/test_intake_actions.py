"""Staff actions: validated, recorded, published as order.action.v1, scoped by role and branch."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import SeededChain, create_chain, order_body
from tests.integration.harness import RunningServices, bearer
from tests.integration.probe import Probe

pytestmark = pytest.mark.integration


async def _open(services: RunningServices, http: httpx.AsyncClient, chain: SeededChain) -> str:
    opened = await http.post(
        f"{services.urls['intake']}/api/v1/orders",
        json=order_body(chain.branch["branch_id"]),
        headers=chain.headers,
    )
    assert opened.status_code == 201, opened.text
    order_id: str = opened.json()["order_id"]
    return order_id


def _actions_url(services: RunningServices, order_id: str) -> str:
    return f"{services.urls['intake']}/api/v1/orders/{order_id}/actions"


VALID_ACTIONS: list[dict[str, Any]] = [
    {"action": "advance"},
    {"action": "advance", "target_stage": "pronto"},
    {"action": "back", "reason": "receita conferida errada"},
    {"action": "pause", "reason": "cliente pediu para aguardar"},
    {"action": "resume"},
    {"action": "assign", "assignee": "Carlos"},
    {"action": "note", "note": "cliente ligou"},
    {"action": "cancel", "reason": "desistência"},
    {"action": "deliver"},
    {"action": "reopen", "reason": "lente riscada", "reopen_kind": "warranty"},
    {"action": "reopen", "reason": "grau errado", "reopen_kind": "remake"},
]


async def test_every_action_is_accepted_recorded_and_published_in_order(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    probe = await Probe.bind(services.env, "order.action.v1")
    try:
        order_id = await _open(services, http, chain)
        attendant = bearer(chain.chain_id, "attendant", [chain.branch["branch_id"]])
        accepted = []
        for body in VALID_ACTIONS:
            response = await http.post(
                _actions_url(services, order_id), json=body, headers=attendant
            )
            assert response.status_code == 202, (body, response.text)
            assert response.json()["status"] == "accepted"
            accepted.append(response.json()["action_id"])
        seen = await probe.drain(len(VALID_ACTIONS))
    finally:
        await probe.delete()
    assert [s.message_id for s in seen] == accepted  # in order, none twice
    events = [s.payload for s in seen]
    assert [e["action"] for e in events] == [b["action"] for b in VALID_ACTIONS]
    assert {e["order_id"] for e in events} == {order_id}
    assert {e["chain_id"] for e in events} == {chain.chain_id}
    assert events[1]["target_stage"] == "pronto"
    assert events[2]["reason"] == "receita conferida errada"
    assert events[5]["assignee"] == "Carlos"
    assert events[6]["note"] == "cliente ligou"
    assert events[9]["reopen_kind"] == "warranty"
    assert all(e["actor_id"] for e in events)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "advance", "headers": {"If-Match": '"sete"'}}, "If-Match"),
        ({"action": "advance", "headers": {"If-Match": '"0"'}}, "If-Match"),
        (
            {"action": "advance", "expected_version": 3, "headers": {"If-Match": '"4"'}},
            "expected_version",
        ),
        ({"action": "back"}, "reason"),
        ({"action": "pause", "reason": "   "}, "reason"),
        ({"action": "cancel"}, "reason"),
        ({"action": "reopen", "reopen_kind": "remake"}, "reason"),
        ({"action": "reopen", "reason": "grau"}, "reopen_kind"),
        ({"action": "reopen", "reason": "grau", "reopen_kind": "capricho"}, "reopen_kind"),
        ({"action": "assign"}, "assignee"),
        ({"action": "note"}, "note"),
        ({"action": "pause", "reason": "x", "target_stage": "pronto"}, "target_stage"),
        ({"action": "deliver", "assignee": "Carlos"}, "assignee"),
        ({"action": "explode"}, "action"),
        ({"reason": "sem ação"}, "action"),
        ({"action": "advance", "surprise": True}, "surprise"),
    ],
)
async def test_an_invalid_action_names_the_field_and_writes_nothing(
    services: RunningServices,
    http: httpx.AsyncClient,
    chain: SeededChain,
    body: dict[str, Any],
    field: str,
) -> None:
    order_id = await _open(services, http, chain)
    body = dict(body)
    headers = {**chain.headers, **body.pop("headers", {})}
    response = await http.post(_actions_url(services, order_id), json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert field in response.text
    pool = await asyncpg.connect(services.env["INTAKE_DATABASE_URL"])
    try:
        written = await pool.fetchval(
            "SELECT count(*) FROM order_actions WHERE order_id = $1", uuid.UUID(order_id)
        )
        published = await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE routing_key = 'order.action.v1' "
            "AND payload->>'order_id' = $1",
            order_id,
        )
    finally:
        await pool.close()
    assert (written, published) == (0, 0)


async def test_unknown_or_other_chains_order_is_404(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    order_id = await _open(services, http, chain)
    other = bearer(await create_chain(services, http, f"Outra {uuid.uuid4().hex[:6]}"))
    for target, headers in ((str(uuid.uuid4()), chain.headers), (order_id, other)):
        response = await http.post(
            _actions_url(services, target), json={"action": "advance"}, headers=headers
        )
        assert response.status_code == 404, response.text


async def test_viewer_may_not_act_and_attendant_only_in_own_branch(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    order_id = await _open(services, http, chain)
    url = _actions_url(services, order_id)
    viewer = await http.post(
        url, json={"action": "advance"}, headers=bearer(chain.chain_id, "viewer")
    )
    assert viewer.status_code == 403
    assert "consulta" in viewer.json()["detail"]
    elsewhere = bearer(chain.chain_id, "attendant", [str(uuid.uuid4())])
    assert (await http.post(url, json={"action": "advance"}, headers=elsewhere)).status_code == 404
    manager = bearer(chain.chain_id, "branch_manager", [chain.branch["branch_id"]])
    assert (await http.post(url, json={"action": "advance"}, headers=manager)).status_code == 202


async def test_concurrent_retries_with_one_key_record_one_action(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    order_id = await _open(services, http, chain)
    url = _actions_url(services, order_id)
    body = {"action": "pause", "reason": "aguardando cliente"}
    key = dict(chain.headers, **{"Idempotency-Key": f"acao-{uuid.uuid4()}"})
    responses = await asyncio.gather(*(http.post(url, json=body, headers=key) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [202]
    assert len({r.json()["action_id"] for r in responses}) == 1
    changed = await http.post(url, json=dict(body, reason="outro motivo"), headers=key)
    assert changed.status_code == 409
    assert "Idempotency-Key já foi usada com outro conteúdo" in changed.json()["detail"]
