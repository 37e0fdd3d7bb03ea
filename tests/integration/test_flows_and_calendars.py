"""Flows, branch calendars and quotes over real HTTP, on the real broker and database."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika
import httpx
import pytest

from etapa_contracts.topology import Topology
from tests.infra import bearer
from tests.integration.conftest import (
    ENGLISH,
    SeededChain,
    known_to_workflow,
    order_body,
    refused_in_both_languages,
)
from tests.integration.harness import RunningServices, eventually
from tests.integration.order_engine_kit import opened_event, publish, wait_for

pytestmark = pytest.mark.integration

FLOW: dict[str, Any] = {
    "code": "reparo-rapido",
    "name": "Reparo rápido",
    "stages": [
        {
            "key": "avaliacao",
            "name": "Avaliação",
            "planned_days": 1,
            "sms_template": "Olá {nome}! Recebemos sua OS {numero_os}.",
            "responsible_role": "technician",
        },
        {"key": "conserto", "name": "Conserto", "planned_days": 2, "lab_statuses": ["received"]},
        {"key": "pronto", "name": "Pronto", "planned_days": 0, "pauses_clock": True},
    ],
}


def _url(services: RunningServices, path: str) -> str:
    return f"{services.urls['workflow']}{path}"


async def _add_branch(
    services: RunningServices,
    http: httpx.AsyncClient,
    chain: SeededChain,
    state: str,
    city: str,
    timezone: str,
) -> str:
    code = f"{state}{uuid.uuid4().hex[:4].upper()}"
    created = await http.post(
        f"{services.urls['intake']}/api/v1/branches",
        headers=chain.headers,
        json={"code": code, "name": f"Loja {code}", "state": state, "city": city,
              "timezone": timezone},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    branch_id: str = created.json()["branch_id"]
    await known_to_workflow(services, http, chain, branch_id)
    return branch_id


async def _quote(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain, **params: str
) -> httpx.Response:
    return await http.get(_url(services, "/api/v1/quote"), params=params, headers=chain.headers)


# --- flows ----------------------------------------------------------------------------------


async def test_a_flow_is_created_changed_versioned_and_compared(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    url = _url(services, "/api/v1/service-types")
    created = await http.post(f"{url}/", json=FLOW, headers=chain.headers)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    assert created.json()["created_version"] is True
    assert (await http.post(f"{url}/", json=FLOW, headers=chain.headers)).status_code == 409

    change = {key: value for key, value in FLOW.items() if key != "code"}
    same = await http.put(f"{url}/reparo-rapido", json=change, headers=chain.headers)
    assert same.status_code == 200, same.text
    assert (same.json()["version"], same.json()["created_version"]) == (1, False)

    stages = [dict(stage) for stage in FLOW["stages"]]
    stages[1] = stages[1] | {"planned_days": 3, "counting": "calendar"}
    stages.insert(2, {"key": "limpeza", "name": "Limpeza", "planned_days": 0})
    del stages[0]["sms_template"]
    changed = await http.put(
        f"{url}/reparo-rapido", json=change | {"stages": stages}, headers=chain.headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["version"], changed.json()["created_version"]) == (2, True)

    latest = (await http.get(f"{url}/reparo-rapido", headers=chain.headers)).json()
    assert latest["version"] == 2
    assert [stage["key"] for stage in latest["stages"]] == [
        "avaliacao", "conserto", "limpeza", "pronto"
    ]  # fmt: skip
    listed = (await http.get(f"{url}/", headers=chain.headers)).json()["items"]
    assert {item["code"]: item["version"] for item in listed} == {"reparo-rapido": 2, "teste": 1}

    versions = (await http.get(f"{url}/reparo-rapido/versions", headers=chain.headers)).json()
    assert [v["version"] for v in versions["items"]] == [2, 1]
    first = (await http.get(f"{url}/reparo-rapido/versions/1", headers=chain.headers)).json()
    assert first["stages"][1]["planned_days"] == 2

    diff = await http.get(
        f"{url}/reparo-rapido/versions/compare",
        params={"from": 1, "to": 2},
        headers=chain.headers,
    )
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert [added["stage"]["key"] for added in body["added"]] == ["limpeza"]
    assert body["removed"] == []
    changes = {item["key"]: item["changes"] for item in body["changed"]}
    assert changes["conserto"] == [
        {"field": "planned_days", "before": 2, "after": 3},
        {"field": "counting", "before": "business", "after": "calendar"},
    ]
    assert changes["avaliacao"] == [
        {"field": "sms_template", "before": "Olá {nome}! Recebemos sua OS {numero_os}.",
         "after": None}
    ]  # fmt: skip
    assert changes["pronto"] == [{"field": "position", "before": 2, "after": 3}]

    missing = await http.get(
        f"{url}/reparo-rapido/versions/compare", params={"from": 1, "to": 9}, headers=chain.headers
    )
    assert missing.status_code == 404
    assert "to: versão 9" in missing.text
    unknown = await http.put(f"{url}/nao-existe", json=change, headers=chain.headers)
    assert unknown.status_code == 404


async def test_bad_flows_are_refused_with_every_field_named(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    stages = [
        {"key": "a", "name": "A", "planned_days": 1, "sms_template": "Olá {cliente}"},
        {"key": "b", "name": "B", "planned_days": 1, "lab_statuses": ["teleported"]},
        {"key": "a", "name": "C", "planned_days": -1, "lab_statuses": ["received", "received"]},
    ]
    response = await http.post(
        _url(services, "/api/v1/service-types/"),
        json={"code": "ruim", "name": "Ruim", "stages": stages},
        headers=chain.headers,
    )

    assert response.status_code == 400, response.text
    body = response.json()
    assert "stages[2].planned_days: deve ser 0 ou mais" in body["detail"]
    assert {item["field"] for item in body["extra"]} == {
        "stages[0].sms_template",
        "stages[1].lab_statuses[0]",
        "stages[2].key",
        "stages[2].planned_days",
        "stages[2].lab_statuses[1]",
    }
    empty = await http.post(
        _url(services, "/api/v1/service-types/"),
        json={"code": "vazio", "name": "Vazio", "stages": []},
        headers=chain.headers,
    )
    assert empty.status_code == 400
    assert "stages: o fluxo precisa de pelo menos uma etapa" in empty.text
    typed = await http.post(
        _url(services, "/api/v1/service-types/"),
        json={
            "code": "x",
            "name": "X",
            "stages": [{"key": "a", "name": "A", "planned_days": "um"}],
        },
        headers=chain.headers,
    )
    assert typed.status_code == 400
    assert "planned_days" in typed.text
    listed = await http.get(_url(services, "/api/v1/service-types/"), headers=chain.headers)
    assert [item["code"] for item in listed.json()["items"]] == ["teste"]


async def test_flow_and_calendar_refusals_are_portuguese_by_default_and_english_on_request(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """Workflow's own rules (flow_rules, calendar_settings) answered in English until 5 December,
    whatever Accept-Language said; now as every other refusal: pt-BR unless English is asked."""
    english = chain.headers | ENGLISH
    flows = _url(services, "/api/v1/service-types/")
    bad_flow = {"code": "Sem Espaço", "name": " ", "stages": []}

    portuguese = await http.post(flows, json=bad_flow, headers=chain.headers)
    assert portuguese.status_code == 400, portuguese.text
    assert portuguese.headers["content-language"] == "pt-BR"
    assert portuguese.json()["detail"] == (
        "code: 'Sem Espaço' não é um código válido; use de 1 a 64 letras minúsculas, números ou "
        "hífens, começando por letra ou número; name: não pode ficar em branco; "
        "stages: o fluxo precisa de pelo menos uma etapa"
    )
    assert {item["field"]: item["problem"] for item in portuguese.json()["extra"]} == {
        "code": "'Sem Espaço' não é um código válido; use de 1 a 64 letras minúsculas, números "
        "ou hífens, começando por letra ou número",
        "name": "não pode ficar em branco",
        "stages": "o fluxo precisa de pelo menos uma etapa",
    }
    in_english = await http.post(flows, json=bad_flow, headers=english)
    assert in_english.status_code == 400
    assert in_english.headers["content-language"] == "en"
    assert {item["field"]: item["problem"] for item in in_english.json()["extra"]} == {
        "code": "'Sem Espaço' is not a valid code; use 1–64 lower-case letters, digits or "
        "hyphens, starting with a letter or digit",
        "name": "must not be blank",
        "stages": "a flow needs at least one stage",
    }

    assert (await http.post(flows, json=FLOW, headers=chain.headers)).status_code == 201
    taken = await http.post(flows, json=FLOW, headers=chain.headers)
    assert taken.status_code == 409
    assert taken.json()["detail"] == "o tipo de serviço 'reparo-rapido' já existe; altere-o com PUT"
    taken = await http.post(flows, json=FLOW, headers=english)
    assert taken.json()["detail"] == "service type 'reparo-rapido' exists; change it with PUT"

    calendar = _url(services, f"/api/v1/branches/{chain.branch['branch_id']}/calendar")
    bad_calendar = {
        "opens_at": "10:00",
        "closes_at": "09:00",
        "closing_by_weekday": {"5": "08:00"},
        "closures": [
            {"date": "2027-04-05", "description": "Reforma"},
            {"date": "2027-04-05", "description": "Inventário"},
        ],
    }
    portuguese = await http.put(calendar, json=bad_calendar, headers=chain.headers)
    assert portuguese.status_code == 400, portuguese.text
    assert {item["field"]: item["problem"] for item in portuguese.json()["extra"]} == {
        "closes_at": "deve ser depois da abertura (opens_at, 10:00)",
        "closing_by_weekday.5": "sábado deve fechar depois da abertura (opens_at, 10:00)",
        "closures[1].date": "05/04/2027 já está em closures[0]",
    }
    in_english = await http.put(calendar, json=bad_calendar, headers=english)
    assert {item["field"]: item["problem"] for item in in_english.json()["extra"]} == {
        "closes_at": "must be after opens_at (10:00)",
        "closing_by_weekday.5": "sábado must close after opens_at (10:00)",
        "closures[1].date": "05/04/2027 repeats closures[0]",
    }
    far = {"from": "1999-01-01", "to": "1999-02-01"}
    assert (await http.get(calendar, params=far, headers=chain.headers)).json()["detail"] == (
        "from: o ano deve ser de 2000 a 2100"
    )
    assert (await http.get(calendar, params=far, headers=english)).json()["detail"] == (
        "from: must be from 2000 to 2100"
    )


async def test_only_a_chain_admin_changes_flows_and_other_chains_see_nothing(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    url = _url(services, "/api/v1/service-types/")
    attendant = bearer(chain.chain_id, "attendant", [chain.branch["branch_id"]])
    refused = await http.post(url, json=FLOW, headers=attendant)
    assert refused.status_code == 403
    assert "atendente" in refused.json()["detail"]
    assert (await http.get(f"{url}teste", headers=attendant)).status_code == 200

    stranger = bearer(uuid.uuid4())
    assert (await http.get(f"{url}teste", headers=stranger)).status_code == 404
    assert (await http.get(url, headers=stranger)).json()["items"] == []
    assert (await http.get(f"{url}teste/versions", headers=stranger)).status_code == 404


async def test_every_saved_version_is_published_for_intake(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    topology = Topology(prefix=services.env["ETAPA_TOPOLOGY_PREFIX"])
    connection = await aio_pika.connect(services.env["ETAPA_AMQP_URL"])
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(topology.events_exchange, routing_key="service_type.published.v1")

        url = _url(services, "/api/v1/service-types/")
        assert (await http.post(url, json=FLOW, headers=chain.headers)).status_code == 201
        change = {"name": "Reparo expresso", "active": False, "stages": FLOW["stages"]}
        assert (
            await http.put(f"{url}reparo-rapido", json=change, headers=chain.headers)
        ).status_code == 200

        received: list[dict[str, Any]] = []

        async def two_events() -> list[dict[str, Any]] | None:
            message = await queue.get(fail=False)
            if message is not None:
                await message.ack()
                event = json.loads(message.body)
                if event["chain_id"] == chain.chain_id:
                    received.append(event)
            return received if len(received) >= 2 else None

        events = await eventually(two_events)
    assert [(e["code"], e["name"], e["flow_version"], e["active"]) for e in events] == [
        ("reparo-rapido", "Reparo rápido", 1, True),
        ("reparo-rapido", "Reparo expresso", 2, False),
    ]
    assert all(e["type"] == "service_type.published" for e in events)


async def test_a_new_flow_version_leaves_a_running_order_on_its_version(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    async def open_order() -> dict[str, Any]:
        opened = await http.post(
            f"{services.urls['intake']}/api/v1/orders",
            json=order_body(chain.branch["branch_id"]),
            headers=chain.headers,
        )
        assert opened.status_code == 201, opened.text
        order_id = opened.json()["order_id"]

        async def placed() -> Any:
            response = await http.get(
                _url(services, f"/api/v1/orders/{order_id}"), headers=chain.headers
            )
            return response.json() if response.status_code == 200 else None

        result: dict[str, Any] = await eventually(placed)
        return result

    running = await open_order()
    assert running["flow_version"] == 1
    current = (
        await http.get(_url(services, "/api/v1/service-types/teste"), headers=chain.headers)
    ).json()
    stages = current["stages"] + [{"key": "entregue", "name": "Entregue", "planned_days": 0}]
    changed = await http.put(
        _url(services, "/api/v1/service-types/teste"),
        json={"name": current["name"], "stages": stages},
        headers=chain.headers,
    )
    assert changed.json()["version"] == 2

    again = await http.get(
        _url(services, f"/api/v1/orders/{running['order_id']}"), headers=chain.headers
    )
    assert again.json()["flow_version"] == 1
    assert (await open_order())["flow_version"] == 2


# --- calendars and quotes -------------------------------------------------------------------


async def test_a_branch_calendar_lists_its_holidays_with_their_source(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    url = _url(services, f"/api/v1/branches/{chain.branch['branch_id']}/calendar")
    response = await http.get(
        url, params={"from": "2027-01-01", "to": "2027-12-31"}, headers=chain.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["city_holidays_known"] is True
    assert body["settings"]["working_weekdays"] == [0, 1, 2, 3, 4]
    days = {(d["date"], d["source"]) for d in body["closed_days"]}
    assert ("2027-01-25", "municipal") in days
    assert ("2027-07-09", "estadual") in days
    assert ("2027-11-20", "nacional") in days
    assert all("2027-01-01" <= d["date"] <= "2027-12-31" for d in body["closed_days"])

    backwards = await http.get(
        url, params={"from": "2027-02-01", "to": "2027-01-01"}, headers=chain.headers
    )
    assert backwards.status_code == 400
    assert "to:" in backwards.text
    stranger = await http.get(url, headers=bearer(uuid.uuid4()))
    assert stranger.status_code == 404


async def test_changing_the_calendar_changes_the_quote(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    branch_id = chain.branch["branch_id"]
    # teste: 1 + 3 business days + 0 from Wed 03/03/2027 10:00: 1 day → Thu 04/03;
    # 3 days → Fri 05, Mon 08, Tue 09; due Tue 09/03 18:00.
    params = {"service_type": "teste", "branch": branch_id, "start": "2027-03-03T10:00:00-03:00"}
    before = await _quote(services, http, chain, **params)
    assert before.status_code == 200, before.text
    assert before.json()["due_at"] == "2027-03-09T18:00:00-03:00"
    assert before.json()["promised_date"] == "2027-03-09"
    assert [s["due_at"][:10] for s in before.json()["stages"]] == [
        "2027-03-04", "2027-03-09", "2027-03-09"
    ]  # fmt: skip

    url = _url(services, f"/api/v1/branches/{branch_id}/calendar")
    settings = {
        "working_weekdays": [0, 1, 2, 3, 4, 5],
        "closing_by_weekday": {"5": "13:00"},
        "closures": [{"date": "2027-03-08", "description": "Inventário anual"}],
    }
    changed = await http.put(url, json=settings, headers=chain.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["revision"] == 1
    assert {"date": "2027-03-08", "weekday": "segunda-feira", "name": "Inventário anual",
            "source": "fechamento da filial"} in changed.json()["closed_days"]  # fmt: skip

    after = (await _quote(services, http, chain, **params)).json()
    # Saturday now counts (until 13:00) and Monday 08 is closed: Fri 05, Sat 06, Tue 09.
    assert after["due_at"] == "2027-03-09T18:00:00-03:00"
    assert after["stages"][1]["explanation"] == (
        "3 dias úteis a partir de 04/03/2027; pulou Inventário anual (08/03) e domingo (07/03)"
    )
    assert "Inventário anual (08/03)" not in before.json()["explanation"]
    friday = (
        await _quote(services, http, chain, **(params | {"start": "2027-03-05T10:00:00-03:00"}))
    ).json()
    assert friday["stages"][0]["due_at"] == "2027-03-06T13:00:00-03:00"  # Saturday's closing
    saturday = (
        await _quote(services, http, chain, **(params | {"start": "2027-03-04T10:00:00-03:00"}))
    ).json()
    assert saturday["stages"][0]["due_at"] == "2027-03-05T18:00:00-03:00"
    assert saturday["stages"][1]["due_at"] == "2027-03-10T18:00:00-03:00"


async def test_optional_days_chosen_by_the_chain_reach_every_branch(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    params = {
        "service_type": "teste",
        "branch": chain.branch["branch_id"],
        "start": "2027-02-05T10:00:00-03:00",
    }
    plain = (await _quote(services, http, chain, **params)).json()
    url = _url(services, "/api/v1/calendar/optional-days")
    attendant = bearer(chain.chain_id, "attendant", [chain.branch["branch_id"]])
    refused = await http.put(url, json={"optional_days": ["carnival_monday"]}, headers=attendant)
    assert refused.status_code == 403
    bad = await http.put(url, json={"optional_days": ["carnaval"]}, headers=chain.headers)
    assert bad.status_code == 400
    assert "optional_days" in bad.text

    chosen = await http.put(
        url,
        json={"optional_days": ["carnival_monday", "carnival_tuesday", "ash_wednesday"]},
        headers=chain.headers,
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["optional_days"] == [
        "ash_wednesday",
        "carnival_monday",
        "carnival_tuesday",
    ]

    with_carnival = (await _quote(services, http, chain, **params)).json()
    # Fri 05/02/2027, 1 + 3 business days. Plain: Mon 08, then Tue 09 … Thu 11.
    # Carnival 08–10/02 closed: Thu 11, then Fri 12, Mon 15, Tue 16.
    assert plain["due_at"] == "2027-02-11T18:00:00-03:00"
    assert with_carnival["due_at"] == "2027-02-16T18:00:00-03:00"
    assert "Carnaval (ponto facultativo" in with_carnival["explanation"]
    calendar = await http.get(
        _url(services, f"/api/v1/branches/{chain.branch['branch_id']}/calendar"),
        params={"from": "2027-02-01", "to": "2027-02-28"},
        headers=chain.headers,
    )
    assert [(d["date"], d["source"]) for d in calendar.json()["closed_days"]] == [
        ("2027-02-08", "ponto facultativo"),
        ("2027-02-09", "ponto facultativo"),
        ("2027-02-10", "ponto facultativo"),
    ]
    # A branch created afterwards takes the chain's choice too.
    later = await _add_branch(services, http, chain, "MG", "Belo Horizonte", "America/Sao_Paulo")
    later_calendar = await http.get(
        _url(services, f"/api/v1/branches/{later}/calendar"), headers=chain.headers
    )
    assert later_calendar.json()["optional_days"] == [
        "ash_wednesday", "carnival_monday", "carnival_tuesday"
    ]  # fmt: skip


async def test_branches_in_different_states_quote_different_dates(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    rio = await _add_branch(services, http, chain, "RJ", "Rio de Janeiro", "America/Sao_Paulo")
    manaus = await _add_branch(services, http, chain, "AM", "Manaus", "America/Manaus")
    start = "2027-01-19T10:00:00-03:00"  # Tuesday

    sao_paulo = (await _quote(services, http, chain, service_type="teste",
                              branch=chain.branch["branch_id"], start=start)).json()  # fmt: skip
    in_rio = (await _quote(services, http, chain, service_type="teste", branch=rio,
                           start=start)).json()  # fmt: skip
    in_manaus = (await _quote(services, http, chain, service_type="teste", branch=manaus,
                              start=start)).json()  # fmt: skip

    # São Paulo: Wed 20, then Thu 21, Fri 22, Tue 26 (25/01 is the city's anniversary).
    assert sao_paulo["due_at"] == "2027-01-26T18:00:00-03:00"
    assert "Aniversário da Cidade de São Paulo (25/01)" in sao_paulo["explanation"]
    # Rio: 20/01 is São Sebastião, so Thu 21, then Fri 22, Mon 25, Tue 26.
    assert in_rio["stages"][0]["due_at"] == "2027-01-21T18:00:00-03:00"
    assert "Dia de São Sebastião (20/01)" in in_rio["stages"][0]["explanation"]
    # Manaus works 20 and 25 January; deadlines at 18:00 local (UTC-4).
    assert in_manaus["start"] == "2027-01-19T09:00:00-04:00"
    assert in_manaus["due_at"] == "2027-01-25T18:00:00-04:00"
    assert in_manaus["timezone"] == "America/Manaus"


async def test_quote_errors_name_the_problem(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    branch = chain.branch["branch_id"]
    now = await _quote(services, http, chain, service_type="teste", branch=branch)
    assert now.status_code == 200
    assert len(now.json()["stages"]) == 3

    unknown_type = await _quote(services, http, chain, service_type="nao-existe", branch=branch)
    assert unknown_type.status_code == 404
    unknown_branch = await _quote(services, http, chain, service_type="teste",
                                  branch=str(uuid.uuid4()))  # fmt: skip
    assert unknown_branch.status_code == 404
    bad_start = await _quote(services, http, chain, service_type="teste", branch=branch,
                             start="amanhã")  # fmt: skip
    assert bad_start.status_code == 400
    assert "start" in bad_start.json()["detail"]
    far = await _quote(services, http, chain, service_type="teste", branch=branch,
                       start="2099-01-01T10:00:00-03:00")  # fmt: skip
    assert far.status_code == 400


async def test_quote_refusals_are_portuguese_by_default_and_english_on_request(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """The quote's refusals of its start answered in English until 5 December, whatever
    Accept-Language said; now as every other refusal: pt-BR unless English is asked."""
    english = chain.headers | ENGLISH
    url = _url(services, "/api/v1/quote")
    for start, portuguese, in_english in (
        (
            "amanhã",
            "start: 'amanhã' não é uma data e hora válida (ISO 8601, ex.: 2026-02-13T10:00-03:00)",
            "start: 'amanhã' is not an ISO date-time (e.g. 2026-02-13T10:00-03:00)",
        ),
        (
            "2099-01-01T10:00:00-03:00",
            "start: deve estar entre um ano atrás e dois anos à frente",
            "start: must be from a year ago to two years from now",
        ),
    ):
        params = {"service_type": "teste", "branch": chain.branch["branch_id"], "start": start}
        await refused_in_both_languages(
            http, "GET", url, portuguese, in_english, headers=chain.headers, params=params
        )
    # Litestar's (msgspec's) checks of the query, before the handler
    params = {"service_type": "Óculos", "branch": "SP01", "start": "x" * 41}
    checked = await http.get(url, params=params, headers=chain.headers)
    assert checked.status_code == 400, checked.text
    assert {item["key"]: item["message"] for item in checked.json()["extra"]} == {
        "service_type": "deve seguir o padrão '^[a-z0-9][a-z0-9-]{0,63}$'",
        "branch": "deve ser um UUID válido",
        "start": "deve ter no máximo 40 caractere(s)",
    }
    checked = await http.get(url, params=params, headers=english)
    assert checked.headers["content-language"] == "en"
    assert {item["key"]: item["message"] for item in checked.json()["extra"]} == {
        "service_type": "Expected `str` matching regex '^[a-z0-9][a-z0-9-]{0,63}$'",
        "branch": "Invalid UUID",
        "start": "Expected `str` of length <= 40",
    }


async def test_branch_managers_change_only_their_own_branch_calendar(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    branch_id = chain.branch["branch_id"]
    url = _url(services, f"/api/v1/branches/{branch_id}/calendar")
    body = {"closures": [{"date": "2027-04-05", "description": "Reforma"}]}

    manager = bearer(chain.chain_id, "branch_manager", [branch_id])
    assert (await http.put(url, json=body, headers=manager)).status_code == 200
    other = bearer(chain.chain_id, "branch_manager", [str(uuid.uuid4())])
    assert (await http.put(url, json=body, headers=other)).status_code == 404
    attendant = bearer(chain.chain_id, "attendant", [branch_id])
    refused = await http.put(url, json=body, headers=attendant)
    assert refused.status_code == 403
    viewer = bearer(chain.chain_id, "viewer")
    assert (await http.get(url, headers=viewer)).status_code == 200

    bad = await http.put(
        url,
        json={
            "opens_at": "10:00",
            "closes_at": "09:00",
            "working_weekdays": [0, 9],
            "closures": [{"date": "1990-01-01", "description": ""}],
        },
        headers=chain.headers,
    )
    assert bad.status_code == 400, bad.text
    fields = {item["field"] for item in bad.json()["extra"]}
    assert fields == {
        "working_weekdays",
        "closes_at",
        "closures[0].date",
        "closures[0].description",
    }


async def test_an_order_for_a_switched_off_type_waits_for_a_person(
    services: RunningServices, admin_http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """Intake refuses such orders; one already in flight when the type was switched off is
    kept and flagged, never placed in the old flow."""
    url = _url(services, "/api/v1/service-types/")
    assert (await admin_http.post(url, json=FLOW)).status_code == 201
    off = {"name": "Reparo rápido", "active": False, "stages": FLOW["stages"]}
    assert (await admin_http.put(f"{url}reparo-rapido", json=off)).status_code == 200

    opened = opened_event(chain, service_type="reparo-rapido")
    await publish(services, opened)
    flagged = await wait_for(
        admin_http, services, opened.order_id, lambda d: d["status"] == "needs_attention"
    )
    assert "desativado" in flagged["status_reason"]
    assert flagged["stage_key"] is None
