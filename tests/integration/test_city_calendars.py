"""Cities over HTTP: a capital's branch knows its municipal holidays; a chain admin imports a
city's list (.ics or CSV), its branches there (also ones created later) close for it, the
quote skips it, and a bad file is a 400 that says why in Portuguese."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import SeededChain
from tests.integration.harness import RunningServices, bearer, eventually

pytestmark = pytest.mark.integration

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//teste//PT\r\n"
    "BEGIN:VEVENT\r\nUID:1@teste\r\nDTSTART;VALUE=DATE:20270714\r\n"
    "SUMMARY:Aniversário de Campinas\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:2@teste\r\nDTSTART;VALUE=DATE:20271208\r\n"
    "SUMMARY:Nossa Senhora da Conceição\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


async def _branch(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain, code: str, city: str
) -> str:
    created = await http.post(
        f"{services.urls['intake']}/api/v1/branches",
        headers=chain.headers,
        json={"code": code, "name": f"Loja {city}", "state": "SP", "city": city},
    )
    assert created.status_code == 201, created.text
    branch_id: str = created.json()["branch_id"]
    return branch_id


async def _calendar(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain, branch_id: str
) -> dict[str, Any] | None:
    answer = await http.get(
        f"{services.urls['workflow']}/api/v1/branches/{branch_id}/calendar",
        params={"from": "2027-07-01", "to": "2027-12-31"},
        headers=chain.headers,
    )
    body: dict[str, Any] = answer.json()
    return body if answer.status_code == 200 else None


async def test_an_imported_city_list_closes_the_chains_branches_there(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    workflow = services.urls["workflow"]
    tag = chain.chain_id[:4].upper()
    campinas = await _branch(services, http, chain, f"C{tag}", "Campinas")
    calendar = await eventually(lambda: _calendar(services, http, chain, campinas))
    assert calendar["city_holidays_known"] is False
    capital = await _calendar(services, http, chain, chain.branch["branch_id"])
    assert capital is not None
    assert capital["city_holidays_known"] is True

    url = f"{workflow}/api/v1/calendars/cities/SP/Campinas/holidays"
    before = await http.get(url, headers=chain.headers)
    assert before.json() | {"holidays": None} == {
        "state": "SP", "city": "Campinas", "known": False, "origin": None, "holidays": None,
        "branches_updated": None,
    }  # fmt: skip

    bad = await http.post(
        url,
        content=b"data,nome\n31/02/2027,Feriado\n",
        headers=chain.headers | {"Content-Type": "text/csv"},
    )
    assert bad.status_code == 400, bad.text
    assert "arquivo: linha 2: data “31/02/2027” inválida" in bad.json()["detail"]
    not_a_state = await http.post(
        f"{workflow}/api/v1/calendars/cities/XX/Campinas/holidays",
        content=ICS.encode(),
        headers=chain.headers | {"Content-Type": "text/calendar"},
    )
    assert not_a_state.status_code == 400, not_a_state.text
    assert not_a_state.json()["extra"] == [
        {"field": "uf", "problem": "“XX” não é uma UF do Brasil"}
    ]
    attendant = bearer(chain.chain_id, "attendant", [campinas])
    refused = await http.post(
        url, content=ICS.encode(), headers=attendant | {"Content-Type": "text/calendar"}
    )
    assert refused.status_code == 403

    imported = await http.post(
        url,
        content=ICS.encode(),
        params={"source": "Lei municipal de Campinas (teste)"},
        headers=chain.headers | {"Content-Type": "text/calendar"},
    )
    assert imported.status_code == 200, imported.text
    body = imported.json()
    assert body["branches_updated"] == 1
    assert [(d["date"], d["name"], d["source"]) for d in body["holidays"]] == [
        ("2027-07-14", "Aniversário de Campinas", "Lei municipal de Campinas (teste)"),
        ("2027-12-08", "Nossa Senhora da Conceição", "Lei municipal de Campinas (teste)"),
    ]
    calendar = await _calendar(services, http, chain, campinas)
    assert calendar is not None
    assert calendar["city_holidays_known"] is True
    closed = {(d["date"], d["name"], d["source"]) for d in calendar["closed_days"]}
    assert ("2027-07-14", "Aniversário de Campinas", "municipal") in closed

    # Tue 13/07/2027 10:00, "teste" (1 + 3 business days): Wed 14 is Campinas' day →
    # Thu 15; then Fri 16, Mon 19, Tue 20 → due Tue 20/07 18:00 (São Paulo: Mon 19).
    quote = await http.get(
        f"{workflow}/api/v1/quote",
        params={"service_type": "teste", "branch": campinas, "start": "2027-07-13T10:00:00-03:00"},
        headers=chain.headers,
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["due_at"] == "2027-07-20T18:00:00-03:00"
    assert "Aniversário de Campinas" in quote.text
    in_sao_paulo = await http.get(
        f"{workflow}/api/v1/quote",
        params={"service_type": "teste", "branch": chain.branch["branch_id"],
                "start": "2027-07-13T10:00:00-03:00"},
        headers=chain.headers,
    )  # fmt: skip
    assert in_sao_paulo.json()["due_at"] == "2027-07-19T18:00:00-03:00"

    # A branch opened in the city later (accents and case differ) takes the list too.
    later = await _branch(services, http, chain, f"D{tag}", "  CAMPINAS ")

    async def knows() -> bool:
        body = await _calendar(services, http, chain, later)
        return body is not None and body["city_holidays_known"] is True

    await eventually(knows)
    listed = await http.get(url, headers=chain.headers)
    assert listed.json()["origin"] == "importada"
    capital_list = await http.get(
        f"{workflow}/api/v1/calendars/cities/MA/sao%20luis/holidays", headers=chain.headers
    )
    days = {(d["date"], d["name"]) for d in capital_list.json()["holidays"]}
    assert capital_list.json()["origin"] == "embutida"
    assert ("2026-09-08", "Aniversário de São Luís") in days
