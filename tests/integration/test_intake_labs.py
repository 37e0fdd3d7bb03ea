"""Labs: directory, API keys, messages by queue (real broker) and HTTP, rejection and replay."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import SeededChain, create_chain, order_body
from tests.integration.harness import RunningServices, bearer, eventually, lab_time
from tests.integration.probe import Probe, publish_lab_message

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Lab:
    lab_id: str
    code: str


def _url(services: RunningServices, path: str) -> str:
    return f"{services.urls['intake']}/api/v1/{path}"


async def _lab(services: RunningServices, http: httpx.AsyncClient, chain: SeededChain) -> Lab:
    code = f"L{uuid.uuid4().hex[:8].upper()}"
    created = await http.post(
        _url(services, "labs"), json={"code": code, "name": "Lab Ótico"}, headers=chain.headers
    )
    assert created.status_code == 201, created.text
    return Lab(created.json()["lab_id"], code)


async def _open(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain, **extra: Any
) -> dict[str, Any]:
    opened = await http.post(
        _url(services, "orders"),
        json=order_body(chain.branch["branch_id"], **extra),
        headers=chain.headers,
    )
    assert opened.status_code == 201, opened.text
    order: dict[str, Any] = opened.json()
    return order


def _status(lab: Lab, number: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": uuid.uuid4().hex,
        "lab_code": lab.code,
        "order_number": number,
        "lab_order_number": "778812",
        "status": "received",
        "status_raw": "REC",
        "eta": "2026-12-03",
        "occurred_at": lab_time(hours=-2),
        "note": None,
    }
    body.update(overrides)
    return body


async def _messages(
    services: RunningServices, http: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await http.get(_url(services, "lab-updates"), params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _message(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain, message_id: str
) -> dict[str, Any] | None:
    for item in await _messages(services, http, chain.headers):
        if item["message_id"] == message_id:
            return item
    return None


async def test_lab_codes_are_unique_across_chains_and_only_admins_register_labs(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    lab = await _lab(services, http, chain)
    other = bearer(await create_chain(services, http, f"Outra {uuid.uuid4().hex[:6]}"))
    taken = await http.post(
        _url(services, "labs"), json={"code": lab.code, "name": "Copia"}, headers=other
    )
    assert taken.status_code == 409
    assert "code" in taken.json()["detail"]
    manager = bearer(chain.chain_id, "branch_manager", [chain.branch["branch_id"]])
    refused = await http.post(
        _url(services, "labs"), json={"code": "LX1", "name": "X"}, headers=manager
    )
    assert refused.status_code == 403
    bad = await http.post(
        _url(services, "labs"), json={"code": "lab minúsculo", "name": "X"}, headers=chain.headers
    )
    assert bad.status_code == 400
    assert "code" in bad.text
    listed = await http.get(_url(services, "labs"), headers=manager)
    assert [item["code"] for item in listed.json()["items"]] == [lab.code]
    assert (await http.get(_url(services, f"labs/{lab.lab_id}"), headers=other)).status_code == 404


async def test_lab_status_by_queue_is_applied_and_published_once(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    lab = await _lab(services, http, chain)
    order = await _open(services, http, chain, lab_code=lab.code)
    probe = await Probe.bind(services.env, "lab.status.v1")
    try:
        body = _status(lab, order["number"], note="lente em falta, chega amanhã")
        for _ in range(3):  # the lab's retries: the same message_id
            await publish_lab_message(services.env, f"lab.{lab.code}.status", body)
        seen = await probe.drain(1, settle=1.5)
    finally:
        await probe.delete()
    assert len(seen) == 1
    event = seen[0].payload
    assert (event["order_id"], event["status"], event["lab_code"]) == (
        order["order_id"],
        "received",
        lab.code,
    )
    assert (event["raw_message_id"], event["status_raw"]) == (body["message_id"], "REC")
    assert (event["eta"], event["lab_order_number"]) == ("2026-12-03", "778812")
    assert event["note"] == "lente em falta, chega amanhã"
    assert event["chain_id"] == chain.chain_id
    assert event["order_seq"] == 2  # the order's next event after its opening (1)
    stored = await _messages(services, http, chain.headers, status="accepted")
    assert [m["message_id"] for m in stored] == [body["message_id"]]
    registered = await http.get(
        _url(services, f"orders/{order['order_id']}"), headers=chain.headers
    )
    assert registered.json()["lab_order_number"] == "778812"


async def test_an_older_message_is_stored_as_stale_and_not_published(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    lab = await _lab(services, http, chain)
    order = await _open(services, http, chain)
    probe = await Probe.bind(services.env, "lab.status.v1")
    newer = _status(lab, order["number"], status="edging", occurred_at=lab_time(hours=-1))
    older = _status(lab, order["number"], status="received")
    try:
        await publish_lab_message(services.env, f"lab.{lab.code}.status", newer)
        await eventually(lambda: _message(services, http, chain, newer["message_id"]))
        await publish_lab_message(services.env, f"lab.{lab.code}.status", older)
        stale = await eventually(lambda: _message(services, http, chain, older["message_id"]))
        seen = await probe.drain(1, settle=1.0)
    finally:
        await probe.delete()
    assert stale["status"] == "stale"
    assert "occurred_at" in stale["reason"]
    assert [s.payload["status"] for s in seen] == ["edging"]


async def test_a_lab_time_outside_the_window_is_rejected_and_poisons_nothing(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """Issue 15, item 5: year 1 (stored as -infinity, it broke every later status) and the
    future (every correct later status became stale) are refused with the reason."""
    lab = await _lab(services, http, chain)
    order = await _open(services, http, chain, lab_code=lab.code)
    probe = await Probe.bind(services.env, "lab.status.v1")
    ancient = _status(lab, order["number"], occurred_at="0001-01-01T00:00:00+00:00")
    future = _status(lab, order["number"], status="edging", occurred_at=lab_time(days=1))
    good = _status(lab, order["number"], status="in_production", occurred_at=lab_time(minutes=-1))
    try:
        for body in (ancient, future, good):
            await publish_lab_message(services.env, f"lab.{lab.code}.status", body)
            await eventually(lambda b=body: _message(services, http, chain, b["message_id"]))
        seen = await probe.drain(1, settle=1.0)
    finally:
        await probe.delete()
    refused = {m["message_id"]: m for m in await _messages(services, http, chain.headers)}
    assert refused[ancient["message_id"]]["status"] == "rejected"
    assert "30 dias" in refused[ancient["message_id"]]["reason"]
    assert refused[future["message_id"]]["status"] == "rejected"
    assert "futuro" in refused[future["message_id"]]["reason"]
    assert refused[good["message_id"]]["status"] == "accepted"
    assert [s.payload["status"] for s in seen] == ["in_production"]

    async def workflow_shows_it() -> bool:
        detail = await http.get(
            f"{services.urls['workflow']}/api/v1/orders/{order['order_id']}",
            headers=chain.headers,
        )
        return bool(detail.json().get("lab_status") == "in_production")

    await eventually(workflow_shows_it)


@pytest.mark.parametrize(
    ("make_body", "mentions"),
    [
        (lambda lab, number: b"{not json", "não é JSON"),
        (lambda lab, number: _status(lab, number, status="lost"), "status"),
        (
            lambda lab, number: _status(lab, number, occurred_at=lab_time(hours=-2)[:19]),
            "occurred_at",
        ),
        (lambda lab, number: _status(lab, "NAO-000001"), "order_number"),
        (lambda lab, number: _status(lab, number, lab_code="OUTROLAB"), "lab_code"),
    ],
)
async def test_a_message_that_cannot_be_used_is_kept_rejected_with_the_reason(
    services: RunningServices,
    http: httpx.AsyncClient,
    chain: SeededChain,
    make_body: Any,
    mentions: str,
) -> None:
    lab = await _lab(services, http, chain)
    order = await _open(services, http, chain)
    body = make_body(lab, order["number"])
    await publish_lab_message(services.env, f"lab.{lab.code}.status", body)

    async def rejected() -> list[dict[str, Any]]:
        return await _messages(services, http, chain.headers, status="rejected")

    kept = await eventually(rejected)
    assert len(kept) == 1
    assert mentions in kept[0]["reason"]
    raw = body if isinstance(body, bytes) else None
    if raw is not None:
        assert kept[0]["body"] == raw.decode()
    assert kept[0]["routing_key"] == f"lab.{lab.code}.status"


async def test_a_message_for_an_order_not_registered_yet_is_replayed_once_it_is(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    lab = await _lab(services, http, chain)
    number = f"{chain.branch['code']}-000001"  # the branch's first order, not opened yet
    body = _status(lab, number, status="in_production")
    await publish_lab_message(services.env, f"lab.{lab.code}.status", body)
    rejected = await eventually(lambda: _message(services, http, chain, body["message_id"]))
    assert rejected["status"] == "rejected"
    assert f"nenhuma OS {number}" in rejected["reason"]
    replay_url = _url(services, f"lab-updates/{rejected['lab_message_id']}/replay")

    still = await http.post(replay_url, headers=chain.headers)
    assert (still.status_code, still.json()["status"]) == (200, "rejected")

    order = await _open(services, http, chain)
    assert order["number"] == number
    probe = await Probe.bind(services.env, "lab.status.v1")
    try:
        viewer = await http.post(replay_url, headers=bearer(chain.chain_id, "viewer"))
        assert viewer.status_code == 403
        replayed = await http.post(replay_url, headers=chain.headers)
        assert replayed.status_code == 200, replayed.text
        assert (replayed.json()["status"], replayed.json()["order_id"]) == (
            "replayed",
            order["order_id"],
        )
        seen = await probe.drain(1)
    finally:
        await probe.delete()
    assert seen[0].payload["status"] == "in_production"
    again = await http.post(replay_url, headers=chain.headers)
    assert again.status_code == 409
    detail = await http.get(
        _url(services, f"lab-updates/{rejected['lab_message_id']}"), headers=chain.headers
    )
    assert (detail.json()["status"], detail.json()["attempts"]) == ("replayed", 3)


async def test_a_message_from_an_unregistered_lab_is_kept_and_shown_once_the_lab_is_registered(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    code = f"L{uuid.uuid4().hex[:8].upper()}"
    order = await _open(services, http, chain)
    body = _status(Lab("", code), order["number"])
    await publish_lab_message(services.env, f"lab.{code}.status", body)
    conn = await asyncpg.connect(services.env["INTAKE_DATABASE_URL"])
    try:

        async def stored() -> Any:
            return await conn.fetchrow(
                "SELECT chain_id, status, reason FROM lab_messages WHERE message_id = $1",
                body["message_id"],
            )

        row = await eventually(stored)
    finally:
        await conn.close()
    assert (row["chain_id"], row["status"]) == (None, "rejected")
    assert "not registered" in row["reason"]
    assert await _message(services, http, chain, body["message_id"]) is None
    await http.post(
        _url(services, "labs"), json={"code": code, "name": "Novo"}, headers=chain.headers
    )
    shown = await _message(services, http, chain, body["message_id"])
    assert shown is not None
    replayed = await http.post(
        _url(services, f"lab-updates/{shown['lab_message_id']}/replay"), headers=chain.headers
    )
    assert replayed.json()["status"] == "replayed"


async def test_lab_messages_are_paginated_and_scoped_to_the_chain(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    lab = await _lab(services, http, chain)
    for n in range(3):
        await publish_lab_message(
            services.env, f"lab.{lab.code}.status", _status(lab, f"NAO-00000{n}")
        )

    async def three() -> Any:
        items = await _messages(services, http, chain.headers, status="rejected")
        return len(items) == 3

    await eventually(three)
    page = await http.get(
        _url(services, "lab-updates"),
        params={"status": "rejected", "limit": 2},
        headers=chain.headers,
    )
    assert (len(page.json()["items"]), page.json()["next_offset"]) == (2, 2)
    other = bearer(await create_chain(services, http, f"Outra {uuid.uuid4().hex[:6]}"))
    assert await _messages(services, http, other) == []
    one = page.json()["items"][0]["lab_message_id"]
    assert (await http.get(_url(services, f"lab-updates/{one}"), headers=other)).status_code == 404
    bad = await http.get(
        _url(services, "lab-updates"), params={"status": "lost"}, headers=chain.headers
    )
    assert bad.status_code == 400
    assert "status" in bad.text


async def test_http_twin_needs_a_valid_unrevoked_lab_key(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    lab = await _lab(services, http, chain)
    order = await _open(services, http, chain, lab_code=lab.code)
    url = _url(services, "lab-updates")
    body = _status(lab, order["number"])
    assert (await http.post(url, json=body)).status_code == 401
    assert (await http.post(url, json=body, headers={"X-Lab-Key": "etl_wrong"})).status_code == 401

    created = await http.post(
        _url(services, f"labs/{lab.lab_id}/keys"), json={"label": "ERP"}, headers=chain.headers
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    listed = await http.get(_url(services, f"labs/{lab.lab_id}/keys"), headers=chain.headers)
    assert "key" not in listed.json()[0]
    assert key not in listed.text
    lab_key = {"X-Lab-Key": key}

    accepted = await http.post(url, json=body, headers=lab_key)
    assert (accepted.status_code, accepted.json()["status"]) == (202, "accepted")
    duplicate = await http.post(url, json=body, headers=lab_key)
    assert (duplicate.status_code, duplicate.json()["status"]) == (202, "duplicate")
    unknown = await http.post(url, json=_status(lab, "NAO-000009"), headers=lab_key)
    assert unknown.status_code == 422
    assert "order_number" in unknown.json()["reason"]
    unreadable = await http.post(
        url, json=_status(lab, order["number"], status="x"), headers=lab_key
    )
    assert unreadable.status_code == 400
    assert "status" in unreadable.json()["reason"]
    too_big = await http.post(
        url,
        content=b"{" + b" " * 2_000_000 + b"}",
        headers=lab_key | {"content-type": "application/json"},
    )
    assert too_big.status_code == 413

    revoked = await http.delete(
        _url(services, f"labs/{lab.lab_id}/keys/{created.json()['key_id']}"), headers=chain.headers
    )
    assert revoked.status_code == 204
    after = await http.post(url, json=_status(lab, order["number"]), headers=lab_key)
    assert after.status_code == 401
