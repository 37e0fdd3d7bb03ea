"""Issue 14's first list, tried through the services as a user would, with what was observed
printed (run with ``-rP`` to see it; ``docs/engine-v2-examples.md`` holds one run's output).

Where time must pass (a pause of two days), the staff actions are published on the real broker
with their instants, exactly as intake publishes ``order.action.v1`` (the services run on the
system clock, so an action posted to intake's HTTP API happens now). Everything else goes
through the HTTP APIs of intake, workflow and the notifier, and every result is read through
workflow's HTTP API.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.infra import bearer
from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually, lab_time
from tests.integration.order_engine_kit import (
    action,
    open_and_wait,
    opened_event,
    publish,
    save_flow,
    wait_for,
)

pytestmark = pytest.mark.integration

SP = ZoneInfo("America/Sao_Paulo")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def show(scenario: str, **observed: object) -> None:
    """One line of the examples table: the scenario, then what went in and what came out."""
    print(f"| {scenario} | " + "; ".join(f"{k}={v}" for k, v in observed.items()) + " |")


def at(day: int, clock: str) -> datetime:
    """An instant of March 2026 in São Paulo (02/03/2026 is a Monday; no holiday that week)."""
    return datetime.fromisoformat(f"2026-03-{day:02d}T{clock}").replace(tzinfo=SP)


def at_closing_of_a_business_day(iso: str) -> bool:
    """Mon–Fri at 18:00 in São Paulo's offset (the test branch's hours; March 2026 has no
    holiday in São Paulo)."""
    moment = datetime.fromisoformat(iso)
    return iso.endswith("-03:00") and moment.weekday() < 5 and moment.strftime("%H:%M") == "18:00"


def times_in(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every ISO date-time string in a JSON answer, with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from times_in(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from times_in(item, f"{where}[{index}]")
    elif isinstance(value, str) and ISO_TIME.match(value):
        yield where, value


@pytest.fixture
async def http(chain: SeededChain) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, headers=chain.headers) as client:
        yield client


PAUSES = [
    # paused, resumed, expected due, what the explanation ends with
    (
        at(4, "11:00"),
        at(6, "11:00"),
        "2026-03-10T18:00:00-03:00",
        "+2 dias úteis pela pausa de 04/03 11:00 a 06/03 11:00 (aguardando armação)",
    ),
    (
        at(5, "10:00"),
        at(6, "10:00"),
        "2026-03-09T18:00:00-03:00",
        "+1 dia útil pela pausa de 05/03 10:00 a 06/03 10:00 (aguardando armação)",
    ),
    (
        at(4, "19:00"),
        at(5, "07:30"),
        "2026-03-06T18:00:00-03:00",
        "a pausa de 04/03 19:00 a 05/03 07:30 (aguardando armação) não tomou nenhum dia útil; "
        "prazo mantido",
    ),
]


@pytest.mark.parametrize(("paused_at", "resumed_at", "due", "says"), PAUSES)
async def test_a_pause_gives_back_business_days_and_lands_at_closing_time(
    services: RunningServices,
    http: httpx.AsyncClient,
    chain: SeededChain,
    paused_at: datetime,
    resumed_at: datetime,
    due: str,
    says: str,
) -> None:
    """Surfaçagem is 2 business days; entered Wed 04/03/2026 10:00 it is due Fri 06/03 18:00."""
    await save_flow(services, chain, "lab")
    opened = opened_event(
        chain, service_type="lab", opened_at=at(4, "09:30"), promised_date=date(2099, 1, 1)
    )
    await open_and_wait(services, http, opened)
    await publish(services, action(opened, "advance", at(4, "10:00"), target_stage="surfacagem"))
    before = await wait_for(
        http, services, opened.order_id, lambda d: d["stage_key"] == "surfacagem"
    )
    await publish(services, action(opened, "pause", paused_at, reason="aguardando armação"))
    await wait_for(http, services, opened.order_id, lambda d: d["status"] == "paused")
    await publish(services, action(opened, "resume", resumed_at))
    resumed = await wait_for(
        http, services, opened.order_id, lambda d: d["status"] == "in_progress"
    )

    show(
        "pause",
        entered="04/03/2026 10:00",
        due_before=before["stage_due_at"],
        paused=f"{paused_at:%a %d/%m %H:%M}",
        resumed=f"{resumed_at:%a %d/%m %H:%M}",
        due_after=resumed["stage_due_at"],
        explanation=resumed["stage_due_explanation"],
        projection=resumed["projected_completion_at"],
        projection_reason=resumed["projected_completion_reason"],
    )
    assert before["stage_due_at"] == "2026-03-06T18:00:00-03:00"
    assert resumed["stage_due_at"] == due
    assert at_closing_of_a_business_day(resumed["stage_due_at"])
    assert resumed["stage_due_explanation"].endswith(says)
    # Montagem (1 business day) then Pronto (0) follow the new due time.
    follows = datetime.fromisoformat(due) + timedelta(days=3 if due.startswith("2026-03-06") else 1)
    assert resumed["projected_completion_at"] == follows.isoformat()


async def test_pause_and_resume_posted_to_intake_now_keep_the_due_time(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """The same actions through intake's HTTP API, at today's time: a pause that takes no
    closing time changes nothing (only the wall-clock seconds are counted)."""
    intake = services.urls["intake"]
    opened = await http.post(f"{intake}/api/v1/orders", json=order_body(chain.branch["branch_id"]))
    assert opened.status_code == 201, opened.text
    order_id = opened.json()["order_id"]
    before = await wait_for(http, services, order_id, lambda d: d["stage_key"] == "recebido")
    actions = f"{intake}/api/v1/orders/{order_id}/actions"
    paused = await http.post(actions, json={"action": "pause", "reason": "cliente viajando"})
    assert paused.status_code == 202, paused.text
    await wait_for(http, services, order_id, lambda d: d["status"] == "paused")
    resumed = await http.post(actions, json={"action": "resume"})
    assert resumed.status_code == 202, resumed.text
    after = await wait_for(
        http,
        services,
        order_id,
        lambda d: any(t["kind"] == "resumed" for t in d["timeline"]),
    )
    show(
        "pause now (intake HTTP)",
        paused=paused.json()["requested_at"],
        resumed=resumed.json()["requested_at"],
        due_before=before["stage_due_at"],
        due_after=after["stage_due_at"],
        explanation=after["stage_due_explanation"],
    )
    assert after["stage_due_at"] == before["stage_due_at"]
    assert "não tomou nenhum dia útil; prazo mantido" in after["stage_due_explanation"]


LAB_FLOW_API = [
    {
        "key": "conferencia",
        "name": "Conferência",
        "planned_days": 1,
        "sms_template": "Olá {nome}! OS {numero_os} recebida.",
    },
    {
        "key": "producao",
        "name": "Produção no laboratório",
        "planned_days": 5,
        "lab_statuses": ["received", "surfacing"],
    },
    {"key": "montagem", "name": "Montagem", "planned_days": 1, "lab_statuses": ["shipped"]},
    {"key": "pronto", "name": "Pronto", "planned_days": 0, "pauses_clock": True},
]


async def test_the_projection_follows_the_lab_and_every_time_carries_the_offset(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """The issue's case, today: promise in 14 days, the lab forecasts 19 days out (on
    02/12/2026: promise 16/12, forecast 21/12), then a forecast 5 days out brings it back —
    or, where 5 days out is not before the stage's due day (Produção entered on a Monday is
    due that Friday, and Saturday's forecast would then decide), the day before it."""
    intake, workflow, notifier = (services.urls[s] for s in ("intake", "workflow", "notifier"))
    code = f"lab{uuid.uuid4().hex[:6]}"
    created = await http.post(
        f"{workflow}/api/v1/service-types/",
        json={"code": code, "name": "Óculos com laboratório", "stages": LAB_FLOW_API},
    )
    assert created.status_code == 201, created.text
    lab_code = f"L{uuid.uuid4().hex[:6].upper()}"
    lab = await http.post(f"{intake}/api/v1/labs", json={"code": lab_code, "name": "Lab"})
    assert lab.status_code == 201, lab.text
    key = await http.post(f"{intake}/api/v1/labs/{lab.json()['lab_id']}/keys", json={})
    lab_headers = {"X-Lab-Key": key.json()["key"]}
    today = datetime.now(SP).date()
    promised, late_eta = (today + timedelta(days=n) for n in (14, 19))
    body = order_body(
        chain.branch["branch_id"],
        service_type=code,
        lab_code=lab_code,
        promised_date=promised.isoformat(),
        confirm_before_proposal=True,
    )

    async def open_order() -> httpx.Response | None:
        answer = await http.post(f"{intake}/api/v1/orders", json=body)
        return answer if answer.status_code == 201 else None  # once intake knows the type

    order = (await eventually(open_order)).json()
    order_id, number = order["order_id"], order["number"]

    async def lab_says(status: str, eta: date | None, minutes: int) -> dict[str, Any]:
        sent = await http.post(
            f"{intake}/api/v1/lab-updates",
            headers=lab_headers,
            json={"message_id": uuid.uuid4().hex, "lab_code": lab_code, "status": status,
                  "order_number": number, "occurred_at": lab_time(minutes=minutes),
                  **({"eta": eta.isoformat()} if eta else {})},
        )  # fmt: skip
        assert sent.status_code == 202, sent.text
        answer: dict[str, Any] = sent.json()
        return answer

    await lab_says("received", None, -3)
    planned = await wait_for(
        http, services, order_id, lambda d: d["stage_key"] == "producao" and d["lab_status"]
    )
    await lab_says("surfacing", late_eta, -2)
    later = await wait_for(http, services, order_id, lambda d: d["lab_eta"] == late_eta.isoformat())
    stage_due_day = datetime.fromisoformat(planned["stage_due_at"]).date()
    early_eta = min(today + timedelta(days=5), stage_due_day - timedelta(days=1))
    sent = await lab_says("surfacing", early_eta, -1)
    back = await wait_for(http, services, order_id, lambda d: d["lab_eta"] == early_eta.isoformat())

    for label, seen in (("lab, no forecast", planned), ("lab late", later), ("lab early", back)):
        show(
            label,
            today=f"{today:%d/%m/%Y}",
            promised=seen["promised_date"],
            lab_eta=seen["lab_eta"],
            stage=seen["stage_key"],
            stage_due=seen["stage_due_at"],
            projection=seen["projected_completion_at"],
            reason=seen["projected_completion_reason"],
            risk=seen["risk_level"],
            risk_reason=seen["risk_reason"],
        )
    stage_reason = "pelo prazo da etapa “Produção no laboratório”"
    assert planned["projected_completion_reason"] == stage_reason
    # Montagem is 1 business day after Produção's due time; Pronto adds nothing.
    assert planned["projected_completion_at"] > planned["stage_due_at"]
    assert (
        later["projected_completion_reason"] == f"pela previsão do laboratório de {late_eta:%d/%m}"
    )
    projected = datetime.fromisoformat(later["projected_completion_at"])
    assert projected.date() > late_eta
    assert (projected.weekday() < 5, projected.strftime("%H:%M")) == (True, "18:00")
    assert later["risk_level"] == "at_risk"
    assert f"pela previsão do laboratório de {late_eta:%d/%m}" in later["risk_reason"]
    assert any(
        t["summary"].startswith("Conclusão prevista para")
        and late_eta.strftime("%d/%m") in t["summary"]
        for t in later["timeline"]
    )
    assert back["projected_completion_at"] == planned["projected_completion_at"]
    assert back["projected_completion_reason"] == stage_reason
    assert back["risk_level"] == "on_track"

    # Every time meant for a person: the branch's offset, never a bare UTC time.
    answers = {
        "workflow detail": back,
        "workflow list": (
            await http.get(f"{workflow}/api/v1/orders", params={"text": number})
        ).json(),
        "quote": (
            await http.get(
                f"{workflow}/api/v1/quote",
                params={"service_type": code, "branch": chain.branch["branch_id"]},
            )
        ).json(),
        "intake order": (await http.get(f"{intake}/api/v1/orders/{order_id}")).json(),
        "intake lab update": (
            await http.get(f"{intake}/api/v1/lab-updates/{sent['lab_message_id']}")
        ).json(),
        "notifier messages": (
            await eventually(
                lambda: _items(http, f"{notifier}/api/v1/messages", {"order_id": order_id})
            )
        ),
    }
    counts: dict[str, int] = {}
    not_local: list[tuple[str, str, str]] = []
    for name, answer in answers.items():
        found = list(times_in(answer))
        counts[name] = len(found)
        not_local += [(name, path, t) for path, t in found if not t.endswith("-03:00")]
    show("offsets", **{name: f"{n} times" for name, n in counts.items()}, not_local=not_local)
    assert all(counts.values()), counts
    assert not_local == []


async def _items(http: httpx.AsyncClient, url: str, params: dict[str, str]) -> Any:
    answer = await http.get(url, params=params)
    return answer.json() if answer.status_code == 200 and answer.json()["items"] else None


SMS_FLOW_API = [
    {"key": "recebido", "name": "Recebido", "planned_days": 1,
     "sms_template": "Olá {nome}! OS {numero_os} recebida."},
    {"key": "montagem", "name": "Montagem", "planned_days": 2,
     "sms_template": "{nome}, sua OS {numero_os} está na montagem."},
    {"key": "pronto", "name": "Pronto", "planned_days": 0, "pauses_clock": True},
]  # fmt: skip


async def test_back_keeps_its_reason_and_back_then_advance_texts_once(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake, workflow, notifier = (services.urls[s] for s in ("intake", "workflow", "notifier"))
    code = f"sms{uuid.uuid4().hex[:6]}"
    created = await http.post(
        f"{workflow}/api/v1/service-types/",
        json={"code": code, "name": "Montagem", "stages": SMS_FLOW_API},
    )
    assert created.status_code == 201, created.text
    body = order_body(chain.branch["branch_id"], service_type=code)

    async def open_order() -> httpx.Response | None:
        answer = await http.post(f"{intake}/api/v1/orders", json=body)
        return answer if answer.status_code == 201 else None

    order_id = (await eventually(open_order)).json()["order_id"]
    actions = f"{intake}/api/v1/orders/{order_id}/actions"

    async def messages(count: int) -> list[dict[str, Any]] | None:
        answer = await http.get(f"{notifier}/api/v1/messages", params={"order_id": order_id})
        items: list[dict[str, Any]] = answer.json()["items"]
        settled = [m for m in items if m["status"] in ("sent", "suppressed", "delivered")]
        return items if len(settled) >= count else None

    await wait_for(http, services, order_id, lambda d: d["stage_key"] == "recebido")
    assert (await http.post(actions, json={"action": "advance"})).status_code == 202
    await wait_for(http, services, order_id, lambda d: d["stage_key"] == "montagem")
    await eventually(lambda: messages(2))  # recebido's and montagem's texts, sent
    no_reason = await http.post(actions, json={"action": "back"})
    went_back = await http.post(actions, json={"action": "back", "reason": "lente riscada"})
    assert went_back.status_code == 202, went_back.text
    await wait_for(http, services, order_id, lambda d: d["entry_sequence"] == 3)
    assert (await http.post(actions, json={"action": "advance"})).status_code == 202
    final = await wait_for(http, services, order_id, lambda d: d["entry_sequence"] == 4)
    texts = await eventually(lambda: messages(4))

    sent = [m for m in texts if m["status"] in ("sent", "delivered")]
    suppressed = [m for m in texts if m["status"] == "suppressed"]
    (back_entry,) = [t for t in final["timeline"] if t["detail"].get("reason")]
    show(
        "back + advance",
        back_without_reason=f"{no_reason.status_code} {no_reason.json().get('detail')}",
        back_timeline=back_entry["summary"],
        messages=sorted((m["entry_sequence"], m["status"], m["status_reason"]) for m in texts),
        sms_sent=len(sent),
    )
    assert no_reason.status_code == 400
    assert back_entry["summary"].startswith("Voltou para a etapa “Recebido”: lente riscada.")
    assert len(sent) == 2
    assert sorted((m["entry_sequence"], m["status_reason"]) for m in suppressed) == [
        (3, "o cliente já recebeu a mensagem da etapa “Recebido” nesta OS; "
            "a etapa não reenvia ao voltar a ela"),
        (4, "o cliente já recebeu a mensagem da etapa “Montagem” nesta OS; "
            "a etapa não reenvia ao voltar a ela"),
    ]  # fmt: skip


async def test_a_promised_date_in_the_past_is_refused_at_the_counter(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    today = datetime.now(SP).date()
    past = today - timedelta(days=12)
    refused = await http.post(
        f"{services.urls['intake']}/api/v1/orders",
        json=order_body(chain.branch["branch_id"], promised_date=past.isoformat()),
    )
    show(
        "promised in the past",
        promised=f"{past:%d/%m/%Y}",
        status=refused.status_code,
        detail=refused.json()["detail"],
    )
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        f"promised_date: a data prometida ({past:%d/%m/%Y}) já passou: hoje é "
        f"{today:%d/%m/%Y} na filial {chain.branch['code']}"
    )


async def test_entering_a_stage_assigns_its_person(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake, workflow = services.urls["intake"], services.urls["workflow"]
    branch = chain.branch["branch_id"]
    created = await http.post(
        f"{intake}/api/v1/users",
        json={"email": f"bia-{uuid.uuid4().hex[:8]}@example.com", "name": "Bia Montadora",
              "role": "attendant", "branch_ids": [branch], "password": "senha-de-teste-123"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    bia = created.json()["user_id"]

    async def saved() -> httpx.Response | None:
        answer = await http.put(
            f"{workflow}/api/v1/service-types/teste/responsibles",
            json={"responsibles": [{"stage": "producao", "branch_id": branch, "user_id": bia}]},
        )
        return answer if answer.status_code == 200 else None  # once workflow knows Bia

    await eventually(saved)
    opened = await http.post(f"{intake}/api/v1/orders", json=order_body(branch))
    order_id = opened.json()["order_id"]
    first = await wait_for(http, services, order_id, lambda d: d["stage_key"] == "recebido")
    advance = await http.post(
        f"{intake}/api/v1/orders/{order_id}/actions", json={"action": "advance"}
    )
    assert advance.status_code == 202, advance.text
    entered = await wait_for(http, services, order_id, lambda d: d["assignee"] == "Bia Montadora")
    mine = await http.get(
        f"{workflow}/api/v1/orders",
        params={"assignee": "me"},
        headers=bearer(chain.chain_id, "attendant", [branch], user_id=bia),
    )
    (note,) = [t for t in entered["timeline"] if t["summary"].startswith("Atribuída a Bia")]
    show(
        "assignee",
        stage_person="producao → Bia Montadora",
        assignee_in_recebido=first["assignee"],
        stage=entered["stage_key"],
        assignee=entered["assignee"],
        responsible_role=entered.get("responsible_role"),
        timeline=note["summary"],
        bia_work_list=[o["number"] for o in mine.json()["items"]],
    )
    assert entered["stage_key"] == "producao"
    assert entered["assignee_id"] == bia
    assert note["summary"] == "Atribuída a Bia Montadora (responsável pela etapa “Produção”)"
    assert [o["number"] for o in mine.json()["items"]] == [entered["number"]]
