"""Contract of workflow's OrderStore: the fake and PostgreSQL keep orders the same way."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

from tests.contract import workflow_stores
from tests.fakes.workflow_kit import T0, new_order, opened_decision, seed
from workflow.domain.order_actions import StageEntered
from workflow.domain.order_state import State
from workflow.domain.records import LabUpdate, MessageStatus, NewOrder, RiskUpdate, TimelineEntry
from workflow.domain.risk import RiskAssessment, RiskLevel
from workflow.usecases.ports import Stores

stores = workflow_stores.stores


async def _opened(stores: Stores, **changes: object) -> tuple[NewOrder, StageEntered]:
    chain = uuid.uuid4()
    branch_id, flow = await seed(stores, chain)
    order = new_order(chain, branch_id, **changes)
    decision = opened_decision(flow, promised=date(2026, 3, 20))
    inserted = await stores.orders.insert(
        order,
        decision.state,
        tracking_token=f"tok{uuid.uuid4().hex[:10]}",
        due_explanation="1 dia útil",
        status_reason=None,
        now=T0,
        projection_reason="pelo prazo",
    )
    assert inserted
    entered = decision.events[0]
    assert isinstance(entered, StageEntered)
    return order, entered


async def test_an_order_is_inserted_once_and_loads_as_stored(stores: Stores) -> None:
    order, _ = await _opened(stores)
    chain, branch_id = order.chain_id, order.branch_id
    branch_id2, flow = branch_id, await stores.flows.latest(chain, "teste")
    assert flow is not None
    state = opened_decision(flow, promised=date(2026, 3, 20)).state

    replayed = await stores.orders.insert(
        order,
        state,
        tracking_token="other-token",
        due_explanation=None,
        status_reason=None,
        now=T0,
    )
    loaded = await stores.orders.load(chain, order.order_id)

    assert not replayed
    assert loaded is not None
    assert (loaded.number, loaded.status, loaded.risk_level, loaded.branch.branch_id) == (
        order.number,
        "in_progress",
        "on_track",
        branch_id2,
    )
    # What the columns give back: the proposal fields are not read into the state.
    assert loaded.state == replace(state, proposed_date=None, promised_before_proposal=False)
    assert loaded.tracking_token.startswith("tok")
    assert await stores.orders.load(uuid.uuid4(), order.order_id) is None
    assert await stores.orders.chain_of(order.order_id) == chain
    assert await stores.orders.chain_of(uuid.uuid4()) is None
    assert await stores.orders.due_explanation(order.order_id) == "1 dia útil"


async def test_an_order_without_a_flow_needs_attention_and_has_no_state(stores: Stores) -> None:
    chain = uuid.uuid4()
    branch_id, _ = await seed(stores, chain)
    order = new_order(chain, branch_id, service_type="desconhecido")

    await stores.orders.insert(
        order,
        None,
        tracking_token="tok-none-1",
        due_explanation=None,
        status_reason="tipo de OS desconhecido",
        now=T0,
    )

    loaded = await stores.orders.load(chain, order.order_id)
    assert loaded is not None
    assert (loaded.status, loaded.state) == ("needs_attention", None)


async def test_state_is_saved_only_on_the_version_it_was_decided_on(stores: Stores) -> None:
    order, _ = await _opened(stores)
    loaded = await stores.orders.load(order.chain_id, order.order_id)
    assert loaded is not None
    assert loaded.state is not None
    paused = replace(
        loaded.state,
        status=State.PAUSED,
        paused_at=T0 + timedelta(hours=1),
        pause_reason="aguardando peça",
        assignee="joana",
        paused_total=timedelta(hours=2),
        lab_status="in_production",
        lab_eta=date(2026, 3, 10),
        lab_reported_at=T0,
        version=2,
    )

    assert await stores.orders.save_state(order.order_id, paused, 1, now=T0)
    assert not await stores.orders.save_state(order.order_id, paused, 1, now=T0)
    again = await stores.orders.load(order.chain_id, order.order_id)

    assert again is not None
    assert again.state == paused
    assert again.status == "paused"


async def test_the_due_explanation_is_replaced_extended_or_kept(stores: Stores) -> None:
    order, _ = await _opened(stores)
    loaded = await stores.orders.load(order.chain_id, order.order_id)
    assert loaded is not None
    assert loaded.state is not None
    state = loaded.state

    for version, replaced, added, expected in (
        (2, None, None, "1 dia útil"),
        (3, None, "+2 h pausada", "1 dia útil; +2 h pausada"),
        (4, "3 dias úteis", None, "3 dias úteis"),
    ):
        state = replace(state, version=version)
        assert await stores.orders.save_state(
            order.order_id,
            state,
            version - 1,
            now=T0,
            due_explanation=replaced,
            due_explanation_addendum=added,
        )
        assert await stores.orders.due_explanation(order.order_id) == expected


async def test_closing_stops_the_risk_timer(stores: Stores) -> None:
    order, _ = await _opened(stores)
    loaded = await stores.orders.load(order.chain_id, order.order_id)
    assert loaded is not None
    assert loaded.state is not None
    await stores.orders.set_risk(
        order.order_id, RiskAssessment(RiskLevel.ON_TRACK, "ok", T0 + timedelta(hours=5)), T0
    )
    delivered = replace(loaded.state, status=State.DELIVERED, version=2)

    assert await stores.orders.save_state(order.order_id, delivered, 1, now=T0, closed=True)

    risk = await stores.orders.risk(order.order_id)
    assert risk is not None
    assert risk.check_at is None
    assert await stores.orders.due_for_risk_check(T0 + timedelta(days=9), 10) == []


async def test_stage_entries_open_close_and_move(stores: Stores) -> None:
    order, entered = await _opened(stores)
    await stores.orders.enter_stage(order.chain_id, order.order_id, entered)
    moved_due = entered.deadline.due_at + timedelta(hours=3)
    await stores.orders.move_stage_due(order.order_id, moved_due)
    later = replace(
        entered,
        entry_sequence=2,
        to_position=1,
        to_stage=replace(entered.to_stage, key="producao", name="Produção"),
        entered_at=T0 + timedelta(days=1),
    )
    await stores.orders.enter_stage(order.chain_id, order.order_id, later)
    await stores.orders.close_stage(order.order_id, T0 + timedelta(days=2))

    first, second = (await stores.orders.history(order.order_id)).stages

    assert (first.entry_sequence, first.stage_key, first.entered_at) == (1, "conferencia", T0)
    assert (first.planned_due_at, first.due_at) == (entered.deadline.due_at, moved_due)
    assert first.exited_at == T0 + timedelta(days=1)
    assert (second.entry_sequence, second.stage_position, second.stage_name) == (2, 1, "Produção")
    assert second.due_at == later.deadline.due_at  # moves only the open entry
    assert second.exited_at == T0 + timedelta(days=2)


async def test_timeline_lab_updates_and_messages_are_kept(stores: Stores) -> None:
    order, _ = await _opened(stores)
    chain, order_id = order.chain_id, order.order_id
    late = TimelineEntry(chain, order_id, T0 + timedelta(hours=2), "sistema", "b", "Depois")
    early = TimelineEntry(
        chain, order_id, T0 + timedelta(hours=1), "lab", "a", "Antes", {"status": "received"}
    )
    update = LabUpdate(chain, order_id, "LABX", "received", date(2026, 3, 9), T0, T0, True)
    message = MessageStatus(chain, order_id, uuid.uuid4(), 1, "sent", None, T0)

    await stores.orders.add_timeline(late)
    await stores.orders.add_timeline(early)
    await stores.orders.add_lab_update(update)
    await stores.orders.upsert_message(message)
    await stores.orders.upsert_message(
        replace(message, status="held", updated_at=T0 - timedelta(1))
    )
    await stores.orders.upsert_message(
        replace(message, status="delivered", reason="ok", updated_at=T0 + timedelta(minutes=1))
    )

    history = await stores.orders.history(order_id)
    assert history.timeline == (early, late)
    assert history.lab_updates == (update,)
    assert history.messages == (
        replace(message, status="delivered", reason="ok", updated_at=T0 + timedelta(minutes=1)),
    )


async def test_risk_is_stored_with_its_timer_and_swept_when_due(stores: Stores) -> None:
    first, _ = await _opened(stores)
    second, _ = await _opened(stores)
    at_risk = RiskAssessment(RiskLevel.AT_RISK, "usou 90%", T0 + timedelta(hours=1))

    before = await stores.orders.set_risk(first.order_id, at_risk, T0)
    same = await stores.orders.set_risk(first.order_id, at_risk, T0 + timedelta(minutes=5))
    await stores.orders.set_risk(
        second.order_id, RiskAssessment(RiskLevel.ON_TRACK, "ok", T0 + timedelta(hours=2)), T0
    )

    assert (before, same) == ("on_track", "at_risk")
    risk = await stores.orders.risk(first.order_id)
    assert risk is not None
    assert (risk.level, risk.reason, risk.check_at, risk.changed_at) == (
        "at_risk",
        "usou 90%",
        T0 + timedelta(hours=1),
        T0,  # unchanged level: the first change's time stays
    )
    mine = {first.order_id, second.order_id}
    due = [
        i for i in await stores.orders.due_for_risk_check(T0 + timedelta(hours=3), 100) if i in mine
    ]
    assert due == [first.order_id, second.order_id]  # oldest timer first
    assert await stores.orders.due_for_risk_check(T0 + timedelta(minutes=30), 100) == []
    await stores.orders.postpone_risk_check(first.order_id, T0 + timedelta(days=1))
    later = await stores.orders.due_for_risk_check(T0 + timedelta(hours=3), 100)
    assert first.order_id not in later


async def test_remakes_are_numbered_after_their_original(stores: Stores) -> None:
    original, _ = await _opened(stores)
    loaded = await stores.orders.load(original.chain_id, original.order_id)
    assert loaded is not None
    assert await stores.orders.next_remake_number(loaded) == "SP01-000001-R1"
    remake = replace(
        new_order(original.chain_id, original.branch_id),
        number="SP01-000001-R1",
        reopened_from=original.order_id,
        reopen_kind="remake",
        customer_phone=None,
    )
    await stores.orders.insert(
        remake,
        None,
        tracking_token="tok-remake1",
        due_explanation=None,
        status_reason=None,
        now=T0,
    )

    assert await stores.orders.next_remake_number(loaded) == "SP01-000001-R2"


async def test_the_risk_and_sequence_are_written_with_the_state(stores: Stores) -> None:
    order, _ = await _opened(stores)
    loaded = await stores.orders.load(order.chain_id, order.order_id)
    assert loaded is not None
    assert loaded.state is not None
    assert (loaded.risk_level, loaded.applied_seq, loaded.parked_events) == ("on_track", 1, False)
    at_risk = RiskAssessment(RiskLevel.AT_RISK, "usou 90%", T0 + timedelta(hours=1))
    moved = replace(loaded.state, version=2)

    assert await stores.orders.save_state(
        order.order_id,
        moved,
        1,
        now=T0,
        risk=RiskUpdate(at_risk, "on_track", T0 + timedelta(minutes=1)),
        applied_seq=2,
    )

    again = await stores.orders.load(order.chain_id, order.order_id)
    risk = await stores.orders.risk(order.order_id)
    assert again is not None
    assert risk is not None
    assert (again.risk_level, again.applied_seq, again.state) == ("at_risk", 2, moved)
    assert (risk.reason, risk.check_at, risk.changed_at) == (
        "usou 90%",
        T0 + timedelta(hours=1),
        T0 + timedelta(minutes=1),
    )
    # Same level again: the time it changed stays; no sequence given: it stays.
    assert await stores.orders.save_state(
        order.order_id,
        replace(moved, version=3),
        2,
        now=T0,
        risk=RiskUpdate(replace(at_risk, reason="usou 95%"), "at_risk", T0 + timedelta(hours=1)),
    )
    risk = await stores.orders.risk(order.order_id)
    again = await stores.orders.load(order.chain_id, order.order_id)
    assert risk is not None
    assert again is not None
    assert (risk.reason, risk.changed_at, again.applied_seq) == (
        "usou 95%",
        T0 + timedelta(minutes=1),
        2,
    )


async def test_a_risk_level_changed_since_the_read_is_a_conflict(stores: Stores) -> None:
    """The sweeper changed the level after the order was read: the decision is not written
    (the engine reads the order again), so the level it reports as replaced is never wrong."""
    order, _ = await _opened(stores)
    loaded = await stores.orders.load(order.chain_id, order.order_id)
    assert loaded is not None
    assert loaded.state is not None
    overdue = RiskAssessment(RiskLevel.OVERDUE, "prazo vencido", None)
    await stores.orders.set_risk(order.order_id, overdue, T0)  # the sweeper, meanwhile

    saved = await stores.orders.save_state(
        order.order_id,
        replace(loaded.state, version=2),
        1,
        now=T0,
        risk=RiskUpdate(RiskAssessment(RiskLevel.ON_TRACK, "ok", None), loaded.risk_level, T0),
        applied_seq=2,
    )

    again = await stores.orders.load(order.chain_id, order.order_id)
    assert not saved
    assert again is not None
    assert (again.risk_level, again.applied_seq, again.state) == ("overdue", 1, loaded.state)


async def test_a_message_status_is_recorded_only_on_its_known_order(stores: Stores) -> None:
    order, _ = await _opened(stores)
    chain, order_id = order.chain_id, order.order_id
    message = MessageStatus(chain, order_id, uuid.uuid4(), 1, "sent", None, T0)
    entry = TimelineEntry(chain, order_id, T0, "notificador", "sms_sent", "SMS enviado", {"a": 1})

    assert await stores.orders.record_message(message, entry)
    assert await stores.orders.record_message(
        replace(message, status="held", updated_at=T0 - timedelta(1)), replace(entry, kind="x")
    )
    other_chain = replace(message, chain_id=uuid.uuid4(), notification_id=uuid.uuid4())
    assert not await stores.orders.record_message(other_chain, replace(entry, kind="y"))
    unknown = replace(message, order_id=uuid.uuid4(), notification_id=uuid.uuid4())
    assert not await stores.orders.record_message(unknown, replace(entry, kind="z"))

    history = await stores.orders.history(order_id)
    assert history.messages == (message,)  # the older "held" did not overwrite "sent"
    assert [e.kind for e in history.timeline] == ["sms_sent", "x"]
    assert history.timeline[0] == entry


async def test_timeline_entries_added_together_keep_their_order(stores: Stores) -> None:
    order, _ = await _opened(stores)
    chain, order_id = order.chain_id, order.order_id
    entries = [
        TimelineEntry(chain, order_id, T0, "ana", f"k{i}", f"Passo {i}", {"i": i}) for i in range(3)
    ]

    await stores.orders.add_timelines(entries)
    await stores.orders.add_timelines([])

    assert (await stores.orders.history(order_id)).timeline == tuple(entries)
