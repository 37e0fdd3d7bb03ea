"""The order engine through the real broker and database: actions, refusals, labs, pauses,
reopening and concurrent actions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from etapa_contracts.events import LabStatus, LabStatusCode, OrderOpened
from tests.integration.conftest import SeededChain, order_body
from tests.integration.harness import RunningServices, eventually
from tests.integration.order_engine_kit import (
    action,
    detail,
    now,
    open_and_wait,
    opened_event,
    publish,
    save_flow,
    spy,
    wait_for,
    workflow_pool,
)
from workflow.bootstrap import create_engine
from workflow.config import WorkflowSettings
from workflow.entrypoints.consumers import WorkflowHandlers

pytestmark = pytest.mark.integration


@pytest.fixture
async def http(chain: SeededChain) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as the chain's administrator (the services require a token)."""
    async with httpx.AsyncClient(timeout=10, headers=chain.headers) as client:
        yield client


def lab_status(
    opened: OrderOpened, status: LabStatusCode, reported_at: datetime, eta: date | None = None
) -> LabStatus:
    return LabStatus(
        occurred_at=now(),
        correlation_id=f"test-lab-{status}",
        chain_id=opened.chain_id,
        order_id=opened.order_id,
        order_number=opened.order_number,
        lab_code="LAB1",
        status=status,
        eta=eta,
        reported_at=reported_at,
        raw_message_id=str(uuid.uuid4()),
    )


SP = ZoneInfo("America/Sao_Paulo")
SP_WEEK = {
    label: datetime.fromisoformat(f"2026-03-{day}T{clock}").replace(tzinfo=SP)
    for label, day, clock in [
        ("mon 10:00", "02", "10:00"),
        ("mon 11:00", "02", "11:00"),
        ("tue 17:00", "03", "17:00"),
        ("wed 09:30", "04", "09:30"),
        ("wed 10:00", "04", "10:00"),
        ("wed 11:00", "04", "11:00"),
        ("fri 11:00", "06", "11:00"),
    ]
}
"""Fixed past instants in a week with no holiday in São Paulo (02/03/2026 is a Monday)."""


async def test_staff_advance_changes_the_stage_and_the_notifier_gets_a_new_entry_sequence(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = await http.post(
        f"{services.urls['intake']}/api/v1/orders", json=order_body(chain.branch["branch_id"])
    )
    assert opened.status_code == 201, opened.text
    order_id = opened.json()["order_id"]
    placed = await wait_for(http, services, order_id, lambda d: d["stage_key"] == "recebido")
    as_opened = opened_event(chain)
    as_opened = as_opened.model_copy(update={"order_id": uuid.UUID(order_id)})

    async with spy(services, "order.stage_changed.v1") as seen:
        await publish(services, action(as_opened, "advance"))
        await wait_for(http, services, order_id, lambda d: d["stage_key"] == "producao")
        await publish(services, action(as_opened, "advance"))
        ready = await wait_for(http, services, order_id, lambda d: d["stage_key"] == "pronto")
        changes = await eventually(lambda: _at_least(seen.of(order_id), 2))

    assert [
        (c["from_stage"]["key"], c["to_stage"]["key"], c["entry_sequence"]) for c in changes
    ] == [
        ("recebido", "producao", 2),
        ("producao", "pronto", 3),
    ]
    assert ready["version"] == placed["version"] + 2
    assert [(s["stage_key"], s["exited_at"] is not None) for s in ready["stages"]] == [
        ("recebido", True),
        ("producao", True),
        ("pronto", False),
    ]

    async def sms_for_ready_stage() -> object:
        response = await http.get(
            f"{services.urls['notifier']}/api/v1/messages", params={"order_id": order_id}
        )
        items = response.json()["items"]
        return [m for m in items if m["entry_sequence"] == 3]

    assert await eventually(sms_for_ready_stage)


async def _at_least(items: list[dict[str, object]], count: int) -> list[dict[str, object]] | None:
    return items if len(items) >= count else None


async def test_a_refused_action_changes_nothing_and_shows_its_reason_on_the_timeline(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = opened_event(chain)
    before = await open_and_wait(services, http, opened)

    await publish(services, action(opened, "resume"))
    await publish(services, action(opened, "deliver"))
    after = await wait_for(
        http,
        services,
        opened.order_id,
        lambda d: sum(t["kind"] == "action_refused" for t in d["timeline"]) == 2,
    )

    refusals = [t for t in after["timeline"] if t["kind"] == "action_refused"]
    assert refusals[0]["summary"] == (
        "Ação “retomar” recusada: A OS está em andamento; não é possível retomar."
    )
    assert "só pode ser entregue na última etapa" in refusals[1]["summary"]
    assert refusals[0]["actor"] == "ana.atendente"
    assert (after["version"], after["stage_key"], after["status"]) == (
        before["version"],
        "recebido",
        "in_progress",
    )


async def test_a_lab_status_moves_the_order_and_an_older_one_does_not_move_it_back(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    await save_flow(services, chain, "lab")
    opened = opened_event(
        chain, service_type="lab", lab_code="LAB1", promised_date=date(2099, 1, 1)
    )
    await open_and_wait(services, http, opened)
    later = now()

    await publish(services, lab_status(opened, "edging", later, eta=date(2099, 1, 2)))
    moved = await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "montagem")
    await publish(services, lab_status(opened, "surfacing", later - timedelta(hours=2)))
    kept = await wait_for(http, services, opened.order_id, lambda d: len(d["lab_updates"]) == 2)

    assert (moved["entry_sequence"], moved["lab_status"], moved["lab_eta"]) == (
        2,
        "edging",
        "2099-01-02",
    )
    assert (kept["stage_key"], kept["entry_sequence"], kept["lab_status"]) == (
        "montagem",
        2,
        "edging",
    )
    assert [(u["status"], u["applied"]) for u in kept["lab_updates"]] == [
        ("edging", True),
        ("surfacing", False),
    ]
    ignored = [t for t in kept["timeline"] if t["kind"] == "lab_status_ignored"]
    assert len(ignored) == 1
    assert "anterior ao último recebido" in ignored[0]["summary"]
    # The lab's forecast (02/01/2099) re-plans the order after the promised date: at risk.
    assert moved["risk_level"] == "at_risk"
    assert "pela previsão do laboratório de 02/01" in moved["risk_reason"]
    assert moved["projected_completion_reason"] == "pela previsão do laboratório de 02/01"
    assert moved["projected_completion_at"].startswith("2099-01-02")


async def test_pause_and_resume_give_back_the_business_days_the_pause_took(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """The issue's case: paused Wednesday 11:00, resumed Friday 11:00, in a 2-business-day
    stage due Friday 18:00 → due Tuesday 18:00 (not Sunday), said in the stage's explanation."""
    await save_flow(services, chain, "lab")
    opened = opened_event(
        chain, service_type="lab", opened_at=SP_WEEK["wed 09:30"], promised_date=date(2099, 1, 1)
    )
    await open_and_wait(services, http, opened)
    await publish(
        services, action(opened, "advance", SP_WEEK["wed 10:00"], target_stage="surfacagem")
    )
    before = await wait_for(
        http, services, opened.order_id, lambda d: d["stage_key"] == "surfacagem"
    )
    await publish(
        services, action(opened, "pause", SP_WEEK["wed 11:00"], reason="aguardando armação")
    )
    paused = await wait_for(http, services, opened.order_id, lambda d: d["status"] == "paused")
    await publish(services, action(opened, "resume", SP_WEEK["fri 11:00"]))
    resumed = await wait_for(
        http, services, opened.order_id, lambda d: d["status"] == "in_progress"
    )

    assert (paused["paused"], paused["clock_stopped"]) == (True, True)
    assert paused["pause_reason"] == "aguardando armação"
    assert before["stage_due_at"] == "2026-03-06T18:00:00-03:00"
    assert resumed["stage_due_at"] == "2026-03-10T18:00:00-03:00"
    assert resumed["projected_completion_at"] == "2026-03-11T18:00:00-03:00"
    assert resumed["stage_due_explanation"].endswith(
        "; +2 dias úteis pela pausa de 04/03 11:00 a 06/03 11:00 (aguardando armação)"
    )
    assert resumed["pause_reason"] is None
    assert resumed["paused_total_seconds"] == 48 * 3600
    assert resumed["stages"][-1]["due_at"] == resumed["stage_due_at"]
    assert resumed["stages"][-1]["planned_due_at"] == before["stage_due_at"]
    kinds = [t["kind"] for t in resumed["timeline"]]
    assert kinds.index("paused") < kinds.index("resumed")
    assert any(
        t["summary"].startswith("OS retomada após 2 dias parada; +2 dias úteis pela pausa")
        for t in resumed["timeline"]
    )


async def test_deliver_closes_the_order_and_reopen_opens_a_linked_remake(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    opened = opened_event(chain)
    await open_and_wait(services, http, opened)

    async with spy(services, "order.closed.v1", "order.stage_changed.v1") as seen:
        await publish(services, action(opened, "advance", target_stage="pronto"))
        await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "pronto")
        await publish(services, action(opened, "deliver"))
        await wait_for(http, services, opened.order_id, lambda d: d["status"] == "delivered")
        await publish(
            services, action(opened, "reopen", reason="lente descolando", reopen_kind="warranty")
        )
        original = await wait_for(http, services, opened.order_id, lambda d: d["remakes"])
        remake_id = original["remakes"][0]["order_id"]
        closed = await eventually(lambda: _at_least(seen.of(opened.order_id, "order.closed.v1"), 1))
        remake_entered = await eventually(
            lambda: _at_least(seen.of(remake_id, "order.stage_changed.v1"), 1)
        )

    assert closed[0]["outcome"] == "delivered"
    assert original["closed_at"] is not None
    assert original["remakes"][0]["number"] == f"{opened.order_number}-R1"
    assert original["remakes"][0]["kind"] == "warranty"
    remake = await detail(http, services, remake_id)
    assert (remake["reopened_from"], remake["reopened_from_number"]) == (
        str(opened.order_id),
        opened.order_number,
    )
    assert (remake["stage_key"], remake["entry_sequence"], remake["customer_name"]) == (
        "recebido",
        1,
        "Rita Lima",
    )
    assert remake_entered[0]["reopened_from"] == str(opened.order_id)

    async def remake_sms() -> object:
        response = await http.get(
            f"{services.urls['notifier']}/api/v1/messages",
            params={"order_id": remake_id},
            headers=chain.headers,
        )
        items = response.json()["items"]
        return items if items and items[0]["status"] == "sent" else None

    sms = await eventually(remake_sms)  # the remake's customer is the original's
    assert sms[0]["order_number"] == f"{opened.order_number}-R1"
    assert sms[0]["body"].startswith(f"Olá Rita! OS {opened.order_number}-R1 recebida")
    reopened = [t for t in original["timeline"] if t["kind"] == "reopened"]
    assert reopened[0]["summary"] == (
        f"OS reaberta como garantia: lente descolando → OS {opened.order_number}-R1"
    )


async def test_two_concurrent_actions_both_apply_each_on_the_state_the_other_left(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """The second action reads the order before the first commits; its conditional update
    (version) fails, and it decides again on the new state instead of overwriting it."""
    opened = opened_event(chain)
    before = await open_and_wait(services, http, opened)
    handlers = WorkflowHandlers(create_engine(WorkflowSettings.from_env(services.env)))

    async with workflow_pool(services) as pool:
        first = await pool.acquire()
        second = await pool.acquire()
        try:
            tx_first = first.transaction()
            await tx_first.start()
            await handlers.on_order_action(first, action(opened, "advance"))

            async def later_advance() -> None:
                async with second.transaction():
                    await handlers.on_order_action(second, action(opened, "advance"))

            racing = asyncio.create_task(later_advance())
            await asyncio.sleep(0.5)  # the second is now waiting on the row the first updated
            assert not racing.done()
            await tx_first.commit()
            await asyncio.wait_for(racing, timeout=10)
        finally:
            await pool.release(first)
            await pool.release(second)

    after = await detail(http, services, opened.order_id)
    assert (after["stage_key"], after["entry_sequence"]) == ("pronto", 3)
    assert after["version"] == before["version"] + 2
    entered = [
        (t["detail"]["stage"], t["actor"])
        for t in after["timeline"]
        if t["kind"] == "stage_entered"
    ]
    assert entered == [
        ("recebido", "sistema"),
        ("producao", "ana.atendente"),
        ("pronto", "ana.atendente"),
    ]


async def test_a_lab_status_dated_in_the_future_counts_from_its_arrival(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """A lab that types 2027 for 2026 must not move the order a year ahead and block it."""
    await save_flow(services, chain, "lab")
    opened = opened_event(chain, service_type="lab", lab_code="LAB1")
    await open_and_wait(services, http, opened)
    typo = lab_status(opened, "surfacing", now() + timedelta(days=365))
    await publish(services, typo)
    moved = await wait_for(
        http, services, opened.order_id, lambda d: d["stage_key"] == "surfacagem"
    )
    assert datetime.fromisoformat(moved["stage_entered_at"]) <= typo.occurred_at
    await publish(services, lab_status(opened, "edging", now()))
    later = await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "montagem")
    assert later["entry_sequence"] == 3  # the next real report is not "older than the last"


async def test_a_year_one_lab_time_does_not_break_the_orders_later_lab_statuses(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """Issue 15, item 5: 0001-01-01 UTC was stored as -infinity and every later status of the
    order failed (TypeError) until it dead-lettered. Intake refuses such times now; workflow
    still counts one that reaches it as a year back at most."""
    await save_flow(services, chain, "lab")
    opened = opened_event(chain, service_type="lab", lab_code="LAB1")
    await open_and_wait(services, http, opened)
    await publish(services, lab_status(opened, "surfacing", datetime(1, 1, 1, tzinfo=UTC)))
    await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "surfacagem")
    await publish(services, lab_status(opened, "edging", now()))
    later = await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "montagem")
    assert later["lab_status"] == "edging"


async def test_leaving_a_stage_whose_clock_was_stopped_moves_its_due_time(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """A pickup stage waits for the customer with its clock stopped: delivering a day later is
    not a late stage in the analytics (the business day the wait took is given back)."""
    await save_flow(services, chain, "lab")
    opened = opened_event(chain, service_type="lab", opened_at=SP_WEEK["mon 10:00"])
    await open_and_wait(services, http, opened)
    await publish(services, action(opened, "advance", SP_WEEK["mon 11:00"], target_stage="pronto"))
    await wait_for(http, services, opened.order_id, lambda d: d["stage_key"] == "pronto")
    await publish(services, action(opened, "deliver", SP_WEEK["tue 17:00"]))
    closed = await wait_for(http, services, opened.order_id, lambda d: d["status"] == "delivered")
    pickup = closed["stages"][-1]
    assert pickup["stage_key"] == "pronto"
    assert (pickup["planned_due_at"], pickup["due_at"]) == (
        "2026-03-02T18:00:00-03:00",  # zero days: Monday's closing
        "2026-03-03T18:00:00-03:00",  # Monday's closing passed while it waited
    )
    assert datetime.fromisoformat(pickup["exited_at"]) <= datetime.fromisoformat(pickup["due_at"])


async def test_a_promise_before_the_proposal_is_kept_marked_and_on_the_timeline(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    await save_flow(services, chain, "lab")  # 1 + 2 + 1 business days: proposed days ahead
    opened = opened_event(
        chain, service_type="lab", opened_at=SP_WEEK["mon 10:00"], promised_date=date(2026, 3, 3)
    ).model_copy(update={"confirm_before_proposal": True})

    detail = await open_and_wait(services, http, opened)

    assert (detail["promised_date"], detail["proposed_date"]) == ("2026-03-03", "2026-03-06")
    assert detail["promised_before_proposal"] is True
    assert detail["projected_completion_reason"] == "pelo prazo da etapa “Recebido”"
    (note,) = [t for t in detail["timeline"] if t["kind"] == "promised_before_proposal"]
    assert note["summary"] == (
        "Data prometida (03/03/2026) antes da proposta (06/03/2026), confirmada no balcão"
    )
    assert detail["opened_at"].endswith("-03:00")


async def test_the_timeline_is_in_the_order_things_happened_and_says_when_they_arrived(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    """Actions and lab reports dated in the past come after the risk entry written at arrival;
    the timeline sorts by when each happened, not by when it was written."""
    await save_flow(services, chain, "lab")
    opened = opened_event(chain, service_type="lab", opened_at=SP_WEEK["mon 10:00"])
    await open_and_wait(services, http, opened)
    await publish(services, action(opened, "advance", SP_WEEK["mon 11:00"]))
    await publish(services, action(opened, "back", SP_WEEK["tue 17:00"], reason="receita com erro"))
    detail = await wait_for(http, services, opened.order_id, lambda d: d["entry_sequence"] == 3)

    happened = [datetime.fromisoformat(t["occurred_at"]) for t in detail["timeline"]]
    assert happened == sorted(happened)
    assert all(t["recorded_at"] for t in detail["timeline"])
    (back,) = [t for t in detail["timeline"] if t["detail"].get("reason")]
    assert back["summary"].startswith("Voltou para a etapa “Recebido”: receita com erro.")
    assert back["occurred_at"] == "2026-03-03T17:00:00-03:00"
