"""Workflow's order use cases on the in-memory stores: conflicts, parking, reopen, risk.

The stores are the fakes of ``tests/fakes/workflow_stores.py``, held to PostgreSQL's behaviour
by the contract suites; the engine, the sequencing and the sweeper run as in production.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from prometheus_client import REGISTRY

from etapa_contracts.events import (
    OrderClosed,
    OrderOpened,
    OrderRiskChanged,
    OrderStageChanged,
    RemakeOpened,
    UserUpserted,
)
from tests.fakes.workflow_kit import (
    CALENDAR,
    STAGES,
    T0,
    action_event,
    lab_event,
    message_status,
    opened_event,
    snapshot,
)
from tests.fakes.workflow_stores import FakeOrderStore, FakeStores
from workflow.domain.calendar import BranchCalendar
from workflow.domain.order_state import OrderState
from workflow.domain.records import Branch
from workflow.usecases.apply_order_event import OrderEvents
from workflow.usecases.order_engine import MAX_CONFLICTS, STALE_VERSION, OrderEngine
from workflow.usecases.record_message_status import record_message_status
from workflow.usecases.sweep_risk import RETRY_AFTER, sweep_risk


class FixedCalendars:
    def for_branch(self, branch: Branch, now: datetime) -> BranchCalendar:
        return CALENDAR


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def ids() -> Iterator[UUID]:
    n = 0
    while True:
        n += 1
        yield UUID(int=n)


CHAIN = uuid.uuid4()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(hours=3))


@pytest.fixture
def engine(clock: Clock) -> OrderEngine:
    new_ids = ids()
    return OrderEngine(FixedCalendars(), clock, 0.8, new_id=lambda: next(new_ids))


@pytest.fixture
async def stores() -> FakeStores:
    stores = FakeStores()
    await stores.flows.add_version(CHAIN, "teste", "Serviço de teste", STAGES, created_by=None)
    return stores


async def open_one(stores: FakeStores, events: OrderEvents, **changes: object) -> OrderOpened:
    opened = opened_event(CHAIN, snapshot(), **changes)
    await events.on_order_opened(stores, opened)
    return opened


async def state_of(stores: FakeStores, order_id: UUID) -> OrderState:
    order = await stores.orders.load(CHAIN, order_id)
    assert order is not None
    assert order.state is not None
    return order.state


def kinds(stores: FakeStores, order_id: UUID) -> list[str]:
    return [entry.kind for entry in stores.db.timeline if entry.order_id == order_id]


async def test_an_opening_places_the_order_and_announces_its_first_stage(
    stores: FakeStores, engine: OrderEngine
) -> None:
    opened = await open_one(stores, OrderEvents(engine))

    state = await state_of(stores, opened.order_id)
    assert (state.stage_position, state.entry_sequence, state.version) == (0, 1, 1)
    assert kinds(stores, opened.order_id) == ["opened", "stage_entered"]
    assert [type(e) for e in stores.db.outbox] == [OrderStageChanged]
    assert await stores.sequence.applied_seq(CHAIN, opened.order_id) == 1


class ConflictingOrders(FakeOrderStore):
    """Another replica saves the order first, ``conflicts`` times, just before each save."""

    def __init__(self, stores: FakeStores, conflicts: int) -> None:
        super().__init__(stores.db)
        self.conflicts = conflicts
        self.saves = 0

    async def save_state(
        self, order_id: UUID, state: OrderState, expected_version: int, **kwargs: object
    ) -> bool:
        self.saves += 1
        if self.conflicts:
            self.conflicts -= 1
            row = self._db.orders[order_id]
            row.version += 1  # the other replica's decision
            row.assignee = f"outra réplica {row.version}"
        return await super().save_state(order_id, state, expected_version, **kwargs)  # type: ignore[arg-type]


async def test_a_version_conflict_reloads_and_decides_again(
    stores: FakeStores, engine: OrderEngine
) -> None:
    events = OrderEvents(engine)
    opened = await open_one(stores, events)
    racing = ConflictingOrders(stores, conflicts=2)
    stores.orders = racing

    await events.on_order_action(stores, action_event(opened, "advance", 2))

    state = await state_of(stores, opened.order_id)
    assert racing.saves == 3
    assert (state.stage_position, state.version) == (1, 4)  # one stage, on the third try
    assert state.assignee == "outra réplica 3"  # decided on the state the other one left
    assert kinds(stores, opened.order_id).count("stage_entered") == 2


async def test_endless_conflicts_give_up_so_the_message_is_redelivered(
    stores: FakeStores, engine: OrderEngine
) -> None:
    events = OrderEvents(engine)
    opened = await open_one(stores, events)
    stores.orders = ConflictingOrders(stores, conflicts=MAX_CONFLICTS)

    with pytest.raises(RuntimeError, match="version conflicts"):
        await events.on_order_action(stores, action_event(opened, "advance", 2))


async def test_an_action_made_on_a_stale_view_is_refused_on_the_timeline(
    stores: FakeStores, engine: OrderEngine
) -> None:
    events = OrderEvents(engine)
    opened = await open_one(stores, events)

    await events.on_order_action(stores, action_event(opened, "advance", 2, expected_version=7))

    assert (await state_of(stores, opened.order_id)).stage_position == 0
    refused = stores.db.timeline[-1]
    assert refused.kind == "action_refused"
    assert STALE_VERSION in refused.summary


async def test_early_events_are_parked_and_applied_in_sequence(
    stores: FakeStores, engine: OrderEngine
) -> None:
    events = OrderEvents(engine)
    opened = opened_event(CHAIN, snapshot())
    second = action_event(opened, "assign", 2, assignee="joana")
    third = action_event(opened, "advance", 3, requested_at=T0 + timedelta(hours=2))

    await events.on_order_action(stores, third)  # before its opening and before 2
    await events.on_order_action(stores, second)
    assert set(stores.db.parked) == {(opened.order_id, 2), (opened.order_id, 3)}
    assert await stores.orders.load(CHAIN, opened.order_id) is None

    await events.on_order_opened(stores, opened)

    state = await state_of(stores, opened.order_id)
    assert (state.assignee, state.stage_position) == ("joana", 1)
    assert stores.db.parked == {}
    assert await stores.sequence.applied_seq(CHAIN, opened.order_id) == 3
    assert kinds(stores, opened.order_id) == [
        "opened",
        "stage_entered",
        "assigned",
        "stage_entered",
    ]


async def test_a_sequence_already_applied_is_dropped(
    stores: FakeStores, engine: OrderEngine
) -> None:
    events = OrderEvents(engine)
    opened = await open_one(stores, events)
    advance = action_event(opened, "advance", 2)
    await events.on_order_action(stores, advance)

    await events.on_order_action(stores, advance.model_copy(update={"message_id": uuid.uuid4()}))

    assert (await state_of(stores, opened.order_id)).stage_position == 1


async def test_reopening_a_delivered_order_opens_its_remake(
    stores: FakeStores, engine: OrderEngine
) -> None:
    events = OrderEvents(engine)
    opened = await open_one(stores, events)
    await events.on_order_action(stores, action_event(opened, "advance", 2, target_stage="pronto"))
    await events.on_order_action(stores, action_event(opened, "deliver", 3))
    assert any(isinstance(e, OrderClosed) for e in stores.db.outbox)

    await events.on_order_action(
        stores, action_event(opened, "reopen", 4, reason="lente riscada", reopen_kind="remake")
    )

    remake = await stores.orders.load(CHAIN, UUID(int=1))  # the engine's first new id
    assert remake is not None
    assert (remake.number, remake.reopened_from) == ("SP01-000001-R1", opened.order_id)
    assert remake.state is not None
    assert remake.state.stage_position == 0
    assert stores.db.orders[remake.order_id].customer_phone_digits == "11987654321"
    reopened = [e for e in stores.db.timeline if e.order_id == opened.order_id][-1]
    assert reopened.summary.endswith("→ OS SP01-000001-R1")
    assert reopened.detail["remake_number"] == "SP01-000001-R1"
    remake_entry = [e for e in stores.db.outbox if isinstance(e, OrderStageChanged)][-1]
    assert remake_entry.reopened_from == opened.order_id
    # intake registers it from its own event, written in the same transaction
    (remake_opened,) = [e for e in stores.db.outbox if isinstance(e, RemakeOpened)]
    assert (remake_opened.order_id, remake_opened.order_number) == (
        remake.order_id,
        "SP01-000001-R1",
    )
    assert (remake_opened.reopened_from, remake_opened.reopen_kind) == (opened.order_id, "remake")
    assert remake_opened.branch_id == remake.branch_id


async def test_the_sweeper_publishes_a_risk_change_once(
    stores: FakeStores, engine: OrderEngine, clock: Clock
) -> None:
    opened = await open_one(stores, OrderEvents(engine))
    due = (await state_of(stores, opened.order_id)).stage_due_at
    clock.now = due + timedelta(hours=1)

    swept = await sweep_risk(stores, engine, clock.now, 100)
    await sweep_risk(stores, engine, clock.now + timedelta(hours=1), 100)  # still overdue

    changes = [e for e in stores.db.outbox if isinstance(e, OrderRiskChanged)]
    assert (swept, [c.level for c in changes]) == (1, ["overdue"])
    risk = await stores.orders.risk(opened.order_id)
    assert risk is not None
    assert risk.level == "overdue"
    assert "risk_changed" in kinds(stores, opened.order_id)


async def test_a_risk_change_is_counted_once_from_its_level_to_the_new_one(
    stores: FakeStores, engine: OrderEngine, clock: Clock
) -> None:
    labels = {"service": "workflow", "from_level": "on_track", "to_level": "overdue"}

    def count() -> float:
        return REGISTRY.get_sample_value("etapa_risk_transitions_total", labels) or 0.0

    before = count()
    opened = await open_one(stores, OrderEvents(engine))
    assert count() == before  # opened on track: the default level, no change
    clock.now = (await state_of(stores, opened.order_id)).stage_due_at + timedelta(hours=1)
    await sweep_risk(stores, engine, clock.now, 100)
    await sweep_risk(stores, engine, clock.now + timedelta(hours=1), 100)
    assert count() == before + 1


async def test_one_order_that_cannot_be_assessed_stops_no_other(
    stores: FakeStores, engine: OrderEngine, clock: Clock
) -> None:
    events = OrderEvents(engine)
    broken = await open_one(stores, events)
    sound = await open_one(stores, events, order_number="SP01-000002")
    stores.db.orders[broken.order_id].flow_version = 99  # its flow version is gone
    clock.now = T0 + timedelta(days=10)

    swept = await sweep_risk(stores, engine, clock.now, 100)

    assert swept == 2
    levels = {e.order_id: e.level for e in stores.db.outbox if isinstance(e, OrderRiskChanged)}
    assert levels == {sound.order_id: "overdue"}
    assert stores.db.orders[broken.order_id].risk_check_at == clock.now + RETRY_AFTER


async def test_a_lab_the_order_is_not_with_is_ignored_but_recorded(
    stores: FakeStores, engine: OrderEngine
) -> None:
    events = OrderEvents(engine)
    opened = await open_one(stores, events, lab_code="LABZ")

    await events.on_lab_status(stores, lab_event(opened, "in_production", 2))

    assert (await state_of(stores, opened.order_id)).stage_position == 0
    (update,) = stores.db.lab_updates
    assert (update.lab_code, update.applied) == ("LABX", False)
    assert kinds(stores, opened.order_id)[-1] == "lab_status_ignored"


async def test_a_message_status_goes_on_the_timeline_and_waits_for_its_order(
    stores: FakeStores, engine: OrderEngine
) -> None:
    opened = await open_one(stores, OrderEvents(engine))

    await record_message_status(stores, message_status(opened, "sent", T0 + timedelta(hours=1)))
    stranger = message_status(opened, "sent", T0).model_copy(update={"order_id": uuid.uuid4()})

    assert kinds(stores, opened.order_id)[-1] == "sms_sent"
    assert [m.status for m in stores.db.messages.values()] == ["sent"]
    with pytest.raises(LookupError):
        await record_message_status(stores, stranger)


async def test_entering_a_stage_with_a_default_person_assigns_it_to_them(
    stores: FakeStores, engine: OrderEngine
) -> None:
    events = OrderEvents(engine)
    branch = snapshot()
    ana = uuid.uuid4()
    await events.on_user_upserted(
        stores,
        UserUpserted(
            occurred_at=T0,
            correlation_id="c-u",
            chain_id=CHAIN,
            user_id=ana,
            name="Ana Produção",
            role="attendant",
            branch_ids=(branch.branch_id,),
        ),
    )
    stores.staff.name_default(CHAIN, "teste", "producao", branch.branch_id, ana)
    opened = opened_event(CHAIN, branch)
    await events.on_order_opened(stores, opened)
    assert (await state_of(stores, opened.order_id)).assignee is None  # conferência: nobody

    await events.on_order_action(stores, action_event(opened, "advance", 2))

    state = await state_of(stores, opened.order_id)
    assert (state.assignee, state.assignee_id) == ("Ana Produção", str(ana))
    assert kinds(stores, opened.order_id)[-1] == "assigned"
