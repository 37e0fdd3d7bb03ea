"""In-memory fakes of workflow's stores (``workflow.usecases.ports``), for unit tests.

One ``FakeWorkflowDatabase`` holds every table as plain Python data; ``FakeStores(db)`` is one
"transaction" over it. The fakes keep exactly what the PostgreSQL columns keep (an order's
state is rebuilt from its columns, as ``PostgresOrderStore.load`` does), and the contract
suites in ``tests/contract/test_workflow_*.py`` run the same assertions against both, so a
fake cannot drift from the database.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from etapa_contracts.events import BranchSnapshot, Event
from workflow.adapters.postgres.reviews import historical_order
from workflow.domain.calendar_settings import CalendarSettings
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.history import HistoricalOrder, HistoryBlock, blocks_of
from workflow.domain.json_types import JsonObject
from workflow.domain.order_actions import StageEntered
from workflow.domain.order_state import OrderState, State
from workflow.domain.planned_days import Stay
from workflow.domain.records import (
    Branch,
    ChainOptionalDays,
    LabUpdate,
    MessageStatus,
    NewOrder,
    OrderHistory,
    OrderRisk,
    ParkedEvent,
    ProcessReviewRecord,
    ReviewScheduleRecord,
    RiskUpdate,
    StaffMember,
    StageEntry,
    StoredOrder,
    TimelineEntry,
)
from workflow.domain.responsibles import Person
from workflow.domain.risk import RiskAssessment


@dataclass
class _OrderRow:
    """The ``orders`` columns the stores read and write."""

    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    number: str
    service_type: str
    customer_name: str
    lab_code: str | None
    status: str
    status_reason: str | None
    opened_at: datetime
    updated_at: datetime
    tracking_token: str
    reopened_from: UUID | None
    reopen_kind: str | None
    customer_phone_digits: str | None
    flow_version: int | None = None
    stage_position: int | None = None
    entry_sequence: int = 0
    stage_entered_at: datetime | None = None
    stage_due_at: datetime | None = None
    stage_planned_due_at: datetime | None = None
    stage_due_explanation: str | None = None
    projected_completion_at: datetime | None = None
    projected_completion_reason: str | None = None
    promised_date: date | None = None
    promised_date_proposed: bool = False
    proposed_date: date | None = None
    promised_before_proposal: bool = False
    assignee: str | None = None
    assignee_id: str | None = None
    paused_at: datetime | None = None
    paused_total: timedelta = timedelta(0)
    pause_reason: str | None = None
    projected_from_lab_eta: date | None = None
    lab_status: str | None = None
    lab_eta: date | None = None
    lab_reported_at: datetime | None = None
    version: int = 1
    risk_level: str = "on_track"
    risk_reason: str | None = None
    risk_changed_at: datetime | None = None
    risk_check_at: datetime | None = None
    closed_at: datetime | None = None
    applied_seq: int = 1


@dataclass
class _ServiceTypeRow:
    name: str
    active: bool
    created_at: datetime
    process_owner: UUID | None = None
    process_owner_name: str | None = None
    review_cadence: str | None = None
    owner_since: datetime | None = None


@dataclass
class _VersionRow:
    version: int
    name: str
    stages: tuple[Stage, ...]
    created_at: datetime
    created_by: str | None


@dataclass
class _ParkedRow:
    chain_id: UUID
    routing_key: str
    message_id: UUID
    payload: JsonObject


@dataclass
class FakeWorkflowDatabase:
    """Every table workflow's stores use, in memory."""

    orders: dict[UUID, _OrderRow] = field(default_factory=dict)
    stage_entries: dict[UUID, list[StageEntry]] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    lab_updates: list[LabUpdate] = field(default_factory=list)
    messages: dict[UUID, MessageStatus] = field(default_factory=dict)
    parked: dict[tuple[UUID, int], _ParkedRow] = field(default_factory=dict)
    service_types: dict[tuple[UUID, str], _ServiceTypeRow] = field(default_factory=dict)
    versions: dict[tuple[UUID, str], list[_VersionRow]] = field(default_factory=dict)
    branches: dict[UUID, Branch] = field(default_factory=dict)
    chain_calendars: dict[UUID, ChainOptionalDays] = field(default_factory=dict)
    staff: dict[UUID, StaffMember] = field(default_factory=dict)
    stage_responsibles: dict[tuple[UUID, str, str, UUID], UUID] = field(default_factory=dict)
    """(chain, service type, stage key, branch) → the stage's default person there."""
    outbox: list[Event] = field(default_factory=list)
    reviews: list[ProcessReviewRecord] = field(default_factory=list)


class FakeOrderStore:
    def __init__(self, db: FakeWorkflowDatabase) -> None:
        self._db = db

    async def insert(
        self,
        order: NewOrder,
        state: OrderState | None,
        *,
        tracking_token: str,
        due_explanation: str | None,
        status_reason: str | None,
        now: datetime,
        projection_reason: str | None = None,
    ) -> bool:
        if order.order_id in self._db.orders:
            return False
        digits = _national_digits(order.customer_phone)
        if digits is None and order.reopened_from in self._db.orders:
            digits = self._db.orders[order.reopened_from].customer_phone_digits
        row = _OrderRow(
            order_id=order.order_id,
            chain_id=order.chain_id,
            branch_id=order.branch_id,
            number=order.number,
            service_type=order.service_type,
            customer_name=order.customer_name,
            lab_code=order.lab_code,
            status=state.status.value if state else "needs_attention",
            status_reason=status_reason,
            opened_at=order.opened_at,
            updated_at=now,
            tracking_token=tracking_token,
            reopened_from=order.reopened_from,
            reopen_kind=order.reopen_kind,
            customer_phone_digits=digits,
            stage_due_explanation=due_explanation,
            projected_completion_reason=projection_reason,
            promised_date=state.promised_date if state else order.promised_date,
        )
        if state is not None:
            row.flow_version = state.flow_version
            row.stage_position = state.stage_position
            row.entry_sequence = state.entry_sequence
            row.stage_entered_at = state.stage_entered_at
            row.stage_due_at = state.stage_due_at
            row.stage_planned_due_at = state.stage_planned_due_at
            row.projected_completion_at = state.projected_completion_at
            row.promised_date_proposed = state.promised_date_proposed
            row.proposed_date = state.proposed_date
            row.promised_before_proposal = state.promised_before_proposal
            row.paused_at = state.paused_at
            row.assignee = state.assignee
            row.assignee_id = state.assignee_id
        self._db.orders[order.order_id] = row
        return True

    async def load(self, chain_id: UUID, order_id: UUID) -> StoredOrder | None:
        row = self._db.orders.get(order_id)
        if row is None or row.chain_id != chain_id:
            return None
        branch = self._db.branches.get(row.branch_id)
        if branch is None:
            raise LookupError(f"branch {row.branch_id} of order {order_id} not found")
        return StoredOrder(
            order_id=row.order_id,
            chain_id=row.chain_id,
            branch_id=row.branch_id,
            number=row.number,
            service_type=row.service_type,
            customer_name=row.customer_name,
            lab_code=row.lab_code,
            status=row.status,
            risk_level=row.risk_level,
            reopened_from=row.reopened_from,
            tracking_token=row.tracking_token,
            state=_state(row),
            branch=branch,
            applied_seq=row.applied_seq,
            parked_events=any(key[0] == order_id for key in self._db.parked),
        )

    async def chain_of(self, order_id: UUID) -> UUID | None:
        row = self._db.orders.get(order_id)
        return None if row is None else row.chain_id

    async def save_state(
        self,
        order_id: UUID,
        state: OrderState,
        expected_version: int,
        *,
        now: datetime,
        due_explanation: str | None = None,
        due_explanation_addendum: str | None = None,
        projection_reason: str | None = None,
        closed: bool = False,
        risk: RiskUpdate | None = None,
        applied_seq: int | None = None,
    ) -> bool:
        row = self._db.orders.get(order_id)
        if row is None or row.version != expected_version:
            return False
        if risk is not None and row.risk_level != risk.previous:
            return False
        if risk is not None:
            await self.set_risk(order_id, risk.assessment, risk.at)
        if applied_seq is not None:
            row.applied_seq = applied_seq
        row.status = state.status.value
        row.stage_position = state.stage_position
        row.entry_sequence = state.entry_sequence
        row.stage_entered_at = state.stage_entered_at
        row.stage_due_at = state.stage_due_at
        row.stage_planned_due_at = state.stage_planned_due_at
        row.projected_completion_at = state.projected_completion_at
        row.assignee = state.assignee
        row.assignee_id = state.assignee_id
        row.paused_at = state.paused_at
        row.paused_total = state.paused_total
        row.lab_status = state.lab_status
        row.lab_eta = state.lab_eta
        row.lab_reported_at = state.lab_reported_at
        row.version = state.version
        if due_explanation is not None:
            row.stage_due_explanation = due_explanation
        elif due_explanation_addendum is not None:
            row.stage_due_explanation = (
                f"{row.stage_due_explanation}; {due_explanation_addendum}"
                if row.stage_due_explanation is not None
                else due_explanation_addendum
            )
        if closed:
            row.closed_at = now
            row.risk_check_at = None
        row.updated_at = now
        row.pause_reason = state.pause_reason
        row.projected_from_lab_eta = state.projected_from_lab_eta
        if projection_reason is not None:
            row.projected_completion_reason = projection_reason
        return True

    async def due_explanation(self, order_id: UUID) -> str | None:
        row = self._db.orders.get(order_id)
        return None if row is None else row.stage_due_explanation

    async def next_remake_number(self, original: StoredOrder) -> str:
        count = sum(1 for r in self._db.orders.values() if r.reopened_from == original.order_id)
        return f"{original.number}-R{count + 1}"

    async def add_timeline(self, entry: TimelineEntry) -> None:
        self._db.timeline.append(replace(entry, detail=copy.deepcopy(entry.detail)))

    async def add_timelines(self, entries: Sequence[TimelineEntry]) -> None:
        for entry in entries:
            await self.add_timeline(entry)

    async def enter_stage(self, chain_id: UUID, order_id: UUID, entered: StageEntered) -> None:
        await self.close_stage(order_id, entered.entered_at)
        entries = self._db.stage_entries.setdefault(order_id, [])
        if any(e.entry_sequence == entered.entry_sequence for e in entries):
            return
        entries.append(
            StageEntry(
                entry_sequence=entered.entry_sequence,
                stage_position=entered.to_position,
                stage_key=entered.to_stage.key,
                stage_name=entered.to_stage.name,
                entered_at=entered.entered_at,
                planned_due_at=entered.deadline.due_at,
                due_at=entered.deadline.due_at,
            )
        )

    async def close_stage(self, order_id: UUID, at: datetime) -> None:
        entries = self._db.stage_entries.get(order_id, [])
        self._db.stage_entries[order_id] = [
            replace(e, exited_at=at) if e.exited_at is None else e for e in entries
        ]

    async def move_stage_due(self, order_id: UUID, due_at: datetime) -> None:
        entries = self._db.stage_entries.get(order_id, [])
        self._db.stage_entries[order_id] = [
            replace(e, due_at=due_at) if e.exited_at is None else e for e in entries
        ]

    async def add_lab_update(self, update: LabUpdate) -> None:
        self._db.lab_updates.append(update)

    async def upsert_message(self, message: MessageStatus) -> None:
        known = self._db.messages.get(message.notification_id)
        if known is None:
            self._db.messages[message.notification_id] = message
        elif known.updated_at <= message.updated_at:
            self._db.messages[message.notification_id] = replace(
                known,
                status=message.status,
                reason=message.reason,
                updated_at=message.updated_at,
            )

    async def record_message(self, message: MessageStatus, entry: TimelineEntry) -> bool:
        row = self._db.orders.get(message.order_id)
        if row is None or row.chain_id != message.chain_id:
            return False
        await self.upsert_message(message)
        await self.add_timeline(entry)
        return True

    async def history(self, order_id: UUID) -> OrderHistory:
        timeline = [e for e in self._db.timeline if e.order_id == order_id]
        messages = [m for m in self._db.messages.values() if m.order_id == order_id]
        return OrderHistory(
            stages=tuple(
                sorted(self._db.stage_entries.get(order_id, []), key=lambda e: e.entry_sequence)
            ),
            timeline=tuple(sorted(timeline, key=lambda e: e.occurred_at)),  # stable: by id
            lab_updates=tuple(u for u in self._db.lab_updates if u.order_id == order_id),
            messages=tuple(sorted(messages, key=lambda m: (m.entry_sequence, m.updated_at))),
        )

    async def set_risk(self, order_id: UUID, assessment: RiskAssessment, now: datetime) -> str:
        row = self._db.orders[order_id]
        previous = row.risk_level
        if row.risk_level != assessment.level.value:
            row.risk_changed_at = now
        row.risk_level = assessment.level.value
        row.risk_reason = assessment.reason
        row.risk_check_at = assessment.next_check_at
        return previous

    async def risk(self, order_id: UUID) -> OrderRisk | None:
        row = self._db.orders.get(order_id)
        if row is None:
            return None
        return OrderRisk(row.risk_level, row.risk_reason, row.risk_check_at, row.risk_changed_at)

    async def due_for_risk_check(self, now: datetime, limit: int) -> list[UUID]:
        due = [
            row
            for row in self._db.orders.values()
            if row.risk_check_at is not None
            and row.risk_check_at <= now
            and row.status in ("in_progress", "paused")
        ]
        due.sort(key=lambda row: row.risk_check_at or now)
        return [row.order_id for row in due[:limit]]

    async def postpone_risk_check(self, order_id: UUID, until: datetime) -> None:
        row = self._db.orders.get(order_id)
        if row is not None:
            row.risk_check_at = until


class FakeOrderSequence:
    def __init__(self, db: FakeWorkflowDatabase) -> None:
        self._db = db

    async def lock(self, order_id: UUID) -> None:
        """One transaction at a time in a unit test: nothing to wait for."""

    async def applied_seq(self, chain_id: UUID, order_id: UUID) -> int | None:
        row = self._db.orders.get(order_id)
        return None if row is None or row.chain_id != chain_id else row.applied_seq

    async def set_applied(self, order_id: UUID, seq: int) -> None:
        row = self._db.orders.get(order_id)
        if row is not None:
            row.applied_seq = seq

    async def park(self, event: Event, order_id: UUID, seq: int) -> bool:
        if (order_id, seq) in self._db.parked:
            return False
        self._db.parked[(order_id, seq)] = _ParkedRow(
            chain_id=event.chain_id,
            routing_key=event.routing_key(),
            message_id=event.message_id,
            payload=event.model_dump(mode="json"),
        )
        return True

    async def take(self, chain_id: UUID, order_id: UUID, seq: int) -> ParkedEvent | None:
        row = self._db.parked.get((order_id, seq))
        if row is None or row.chain_id != chain_id:
            return None
        del self._db.parked[(order_id, seq)]
        return ParkedEvent(row.routing_key, row.payload)


class FakeFlowStore:
    def __init__(self, db: FakeWorkflowDatabase) -> None:
        self._db = db

    async def latest(self, chain_id: UUID, service_type: str) -> FlowVersion | None:
        versions = self._db.versions.get((chain_id, service_type))
        return _flow(service_type, versions[-1]) if versions else None

    async def version(self, chain_id: UUID, service_type: str, version: int) -> FlowVersion | None:
        for row in self._db.versions.get((chain_id, service_type), []):
            if row.version == version:
                return _flow(service_type, row)
        return None

    async def for_order(self, chain_id: UUID, service_type: str, version: int) -> FlowVersion:
        found = await self.version(chain_id, service_type, version)
        type_row = self._db.service_types.get((chain_id, service_type))
        if found is None or type_row is None:
            raise LookupError(f"flow {service_type!r} version {version} not found")
        return replace(found, name=type_row.name)

    async def is_active(self, chain_id: UUID, service_type: str) -> bool:
        row = self._db.service_types.get((chain_id, service_type))
        return row is not None and row.active

    async def create_service_type(
        self, chain_id: UUID, service_type: str, name: str, active: bool
    ) -> bool:
        if (chain_id, service_type) in self._db.service_types:
            return False
        self._db.service_types[(chain_id, service_type)] = _ServiceTypeRow(name, active, _now())
        return True

    async def lock_service_type(self, chain_id: UUID, service_type: str) -> bool | None:
        row = self._db.service_types.get((chain_id, service_type))
        return None if row is None else row.active

    async def set_active(self, chain_id: UUID, service_type: str, active: bool) -> None:
        row = self._db.service_types.get((chain_id, service_type))
        if row is not None:
            row.active = active

    async def add_version(
        self,
        chain_id: UUID,
        service_type: str,
        name: str,
        stages: tuple[Stage, ...],
        *,
        created_by: str | None,
    ) -> tuple[FlowVersion, bool]:
        type_row = self._db.service_types.setdefault(
            (chain_id, service_type), _ServiceTypeRow(name, True, _now())
        )
        type_row.name = name
        versions = self._db.versions.setdefault((chain_id, service_type), [])
        row = _VersionRow(len(versions) + 1, name, stages, _now(), created_by)
        versions.append(row)
        return _flow(service_type, row), type_row.active


class FakeBranchStore:
    def __init__(self, db: FakeWorkflowDatabase) -> None:
        self._db = db

    async def upsert(self, chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> None:
        known = self._db.branches.get(branch.branch_id)
        if known is None:
            self._insert(chain_id, branch, as_of)
        elif known.chain_id == chain_id and known.updated_at < as_of:
            self._db.branches[branch.branch_id] = replace(
                known,
                code=branch.code,
                name=branch.name,
                state=branch.state,
                city=branch.city,
                timezone=branch.timezone,
                phone=branch.phone,
                address=branch.address,
                opening_hours=branch.opening_hours,
                chain_name=branch.chain_name or known.chain_name,
                updated_at=as_of,
            )

    async def ensure(self, chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> Branch:
        known = self._db.branches.get(branch.branch_id)
        if known is None:
            self._insert(chain_id, branch, as_of)
        elif known.chain_id == chain_id and known.chain_name is None and branch.chain_name:
            self._db.branches[branch.branch_id] = replace(known, chain_name=branch.chain_name)
        found = await self.get(chain_id, branch.branch_id)
        if found is None:
            raise LookupError(f"branch {branch.branch_id} belongs to another chain")
        return found

    def _insert(self, chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> None:
        chosen = self._db.chain_calendars.get(chain_id, ChainOptionalDays())
        self._db.branches[branch.branch_id] = Branch(
            branch_id=branch.branch_id,
            chain_id=chain_id,
            code=branch.code,
            name=branch.name,
            state=branch.state,
            city=branch.city,
            timezone=branch.timezone,
            updated_at=as_of,
            phone=branch.phone,
            address=branch.address,
            opening_hours=branch.opening_hours,
            chain_name=branch.chain_name,
            optional_days=frozenset(chosen.optional_days),  # as the insert trigger does
        )

    async def get(self, chain_id: UUID, branch_id: UUID) -> Branch | None:
        found = self._db.branches.get(branch_id)
        return found if found is not None and found.chain_id == chain_id else None

    async def save_calendar(
        self,
        chain_id: UUID,
        branch_id: UUID,
        settings: CalendarSettings,
        *,
        actor: str | None,
        now: datetime,
    ) -> Branch | None:
        found = await self.get(chain_id, branch_id)
        if found is None:
            return None
        saved = replace(
            found,
            # what the jsonb column gives back
            calendar=CalendarSettings.from_json(settings.to_json()),
            calendar_revision=found.calendar_revision + 1,
            calendar_updated_at=now,
            calendar_updated_by=actor,
        )
        self._db.branches[branch_id] = saved
        return saved

    async def chain_optional_days(self, chain_id: UUID) -> ChainOptionalDays:
        return self._db.chain_calendars.get(chain_id, ChainOptionalDays())

    async def set_chain_optional_days(
        self, chain_id: UUID, days: Iterable[str], *, actor: str | None, now: datetime
    ) -> list[UUID]:
        chosen = tuple(sorted(set(days)))
        self._db.chain_calendars[chain_id] = ChainOptionalDays(chosen, now, actor)
        changed = []
        for branch_id, branch in self._db.branches.items():
            if branch.chain_id == chain_id:
                self._db.branches[branch_id] = replace(
                    branch,
                    optional_days=frozenset(chosen),
                    calendar_revision=branch.calendar_revision + 1,
                )
                changed.append(branch_id)
        return changed


class FakeStaffStore:
    def __init__(self, db: FakeWorkflowDatabase) -> None:
        self._db = db

    async def upsert(self, person: StaffMember) -> None:
        kept = self._db.staff.get(person.user_id)
        if kept is not None and (
            kept.chain_id != person.chain_id or kept.updated_at > person.updated_at
        ):
            return
        self._db.staff[person.user_id] = person

    async def defaults_for(
        self, chain_id: UUID, service_type: str, branch_id: UUID
    ) -> Mapping[str, Person]:
        found: dict[str, Person] = {}
        for (chain, kind, stage_key, branch), user_id in self._db.stage_responsibles.items():
            person = self._db.staff.get(user_id)
            if (chain, kind, branch) != (chain_id, service_type, branch_id) or person is None:
                continue
            if person.chain_id != chain_id or not person.active or person.role == "viewer":
                continue
            if person.role != "chain_admin" and branch_id not in person.branch_ids:
                continue
            found[stage_key] = Person(str(user_id), person.name)
        return found

    def name_default(
        self, chain_id: UUID, service_type: str, stage_key: str, branch_id: UUID, user_id: UUID
    ) -> None:
        """Test set-up: what ``PUT /responsibles`` stores (not part of the Protocol)."""
        self._db.stage_responsibles[(chain_id, service_type, stage_key, branch_id)] = user_id


class FakeOutbox:
    def __init__(self, db: FakeWorkflowDatabase) -> None:
        self._db = db

    async def enqueue(self, event: Event) -> None:
        self._db.outbox.append(event)


class FakeStores:
    """One transaction's stores over ``db``; ``savepoint`` restores ``db`` when it raises."""

    def __init__(self, db: FakeWorkflowDatabase | None = None) -> None:
        self.db = db or FakeWorkflowDatabase()
        self.orders = FakeOrderStore(self.db)
        self.sequence = FakeOrderSequence(self.db)
        self.flows = FakeFlowStore(self.db)
        self.branches = FakeBranchStore(self.db)
        self.staff = FakeStaffStore(self.db)
        self.outbox = FakeOutbox(self.db)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        before = _snapshot(self.db)
        try:
            yield
        except BaseException:
            self.db.__dict__.update(before.__dict__)
            raise


class FakeReviewStore:
    """``usecases.ports.ReviewStore`` over the fake database (``PostgresReviewStore``'s twin)."""

    def __init__(self, db: FakeWorkflowDatabase) -> None:
        self._db = db

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[None]:
        yield  # one process, no concurrent writer: every read is a snapshot

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with FakeStores(self._db).savepoint():
            yield

    async def latest_flow(self, chain_id: UUID, service_type: str) -> FlowVersion | None:
        return await FakeFlowStore(self._db).latest(chain_id, service_type)

    async def chain_branches(self, chain_id: UUID) -> list[Branch]:
        return [b for b in self._db.branches.values() if b.chain_id == chain_id]

    def _delivered(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: frozenset[UUID] | None,
    ) -> list[_OrderRow]:
        return [
            row
            for row in self._db.orders.values()
            if row.chain_id == chain_id
            and row.service_type == service_type
            and row.status == "delivered"
            and row.closed_at is not None
            and (branches is None or row.branch_id in branches)
            and date_from <= self._local_day(row.branch_id, row.closed_at) <= date_to
        ]

    def _local_day(self, branch_id: UUID, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self._db.branches[branch_id].timezone)).date()

    async def delivered_history(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: frozenset[UUID] | None,
    ) -> list[HistoricalOrder]:
        found = []
        for row in self._delivered(chain_id, service_type, date_from, date_to, branches):
            stays = [e for e in self._db.stage_entries.get(row.order_id, []) if e.exited_at]
            found.append(
                historical_order(
                    {
                        "order_id": row.order_id,
                        "number": row.number,
                        "branch_id": row.branch_id,
                        "flow_version": row.flow_version,
                        "opened_at": row.opened_at,
                        "closed_at": row.closed_at,
                        "promised_date": row.promised_date,
                        "lab_code": row.lab_code,
                        "paused_seconds": row.paused_total.total_seconds(),
                        "keys": [e.stage_key for e in stays] or None,
                        "seconds": [_seconds(e.exited_at, e.entered_at) for e in stays],
                        "over_seconds": [_seconds(e.exited_at, e.due_at) for e in stays],
                    }
                )
            )
        return found

    async def replay_history(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: frozenset[UUID] | None,
    ) -> list[HistoryBlock]:
        return blocks_of(
            await self.delivered_history(chain_id, service_type, date_from, date_to, branches)
        )

    async def finished_stays(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: frozenset[UUID] | None,
    ) -> list[Stay]:
        return [
            Stay(entry.stage_key, str(row.branch_id), entry.entered_at, entry.exited_at)
            for row in self._db.orders.values()
            if row.chain_id == chain_id
            and row.service_type == service_type
            and (branches is None or row.branch_id in branches)
            for entry in self._db.stage_entries.get(row.order_id, [])
            if entry.exited_at is not None
            and date_from <= self._local_day(row.branch_id, entry.exited_at) <= date_to
        ]

    def _schedule(self, chain_id: UUID, code: str, row: _ServiceTypeRow) -> ReviewScheduleRecord:
        versions = self._db.versions.get((chain_id, code), [])
        reviewed = [
            r.reviewed_at
            for r in self._db.reviews
            if r.chain_id == chain_id and r.service_type == code
        ]
        return ReviewScheduleRecord(
            code=code,
            name=row.name,
            version=max((v.version for v in versions), default=None),
            process_owner=row.process_owner,
            process_owner_name=row.process_owner_name,
            review_cadence=row.review_cadence,
            owner_since=row.owner_since,
            last_reviewed_at=max(reviewed, default=None),
        )

    async def schedules(self, chain_id: UUID) -> list[ReviewScheduleRecord]:
        return [
            self._schedule(chain, code, row)
            for (chain, code), row in sorted(self._db.service_types.items(), key=lambda i: i[0][1])
            if chain == chain_id
        ]

    async def schedule(self, chain_id: UUID, code: str) -> ReviewScheduleRecord | None:
        row = self._db.service_types.get((chain_id, code))
        return None if row is None else self._schedule(chain_id, code, row)

    async def set_owner(
        self,
        chain_id: UUID,
        code: str,
        *,
        owner: UUID | None,
        owner_name: str | None,
        cadence: str | None,
        now: datetime,
    ) -> bool:
        row = self._db.service_types.get((chain_id, code))
        if row is None:
            return False
        if owner is None:
            row.owner_since = None
        elif row.process_owner != owner:
            row.owner_since = now
        else:
            row.owner_since = row.owner_since or now
        row.process_owner, row.process_owner_name, row.review_cadence = owner, owner_name, cadence
        return True

    async def add_review(self, review: ProcessReviewRecord) -> None:
        if (review.chain_id, review.service_type) not in self._db.service_types:
            raise asyncpg.ForeignKeyViolationError(  # as the table's foreign key refuses it
                f"no service type {review.service_type!r} in chain {review.chain_id}"
            )
        if any(r.review_id == review.review_id for r in self._db.reviews):
            raise ValueError(f"review {review.review_id} already recorded")
        self._db.reviews.append(review)

    async def list_reviews(
        self, chain_id: UUID, code: str, limit: int, offset: int
    ) -> list[ProcessReviewRecord]:
        mine = [r for r in self._db.reviews if r.chain_id == chain_id and r.service_type == code]
        mine.sort(key=lambda r: str(r.review_id))
        mine.sort(key=lambda r: r.reviewed_at, reverse=True)
        return mine[offset : offset + limit + 1]

    async def version_exists(self, chain_id: UUID, code: str, version: int) -> bool:
        return any(v.version == version for v in self._db.versions.get((chain_id, code), []))


def _seconds(later: datetime | None, earlier: datetime) -> float:
    assert later is not None
    return (later - earlier).total_seconds()


def _snapshot(db: FakeWorkflowDatabase) -> FakeWorkflowDatabase:
    """A copy of every table; records are frozen, so only the mutable rows are copied."""
    return FakeWorkflowDatabase(
        orders={key: copy.copy(row) for key, row in db.orders.items()},
        stage_entries={key: list(entries) for key, entries in db.stage_entries.items()},
        timeline=list(db.timeline),
        lab_updates=list(db.lab_updates),
        messages=dict(db.messages),
        parked=dict(db.parked),
        service_types={key: copy.copy(row) for key, row in db.service_types.items()},
        versions={key: list(rows) for key, rows in db.versions.items()},
        branches=dict(db.branches),
        chain_calendars=dict(db.chain_calendars),
        staff=dict(db.staff),
        stage_responsibles=dict(db.stage_responsibles),
        outbox=list(db.outbox),
        reviews=list(db.reviews),
    )


def _state(row: _OrderRow) -> OrderState | None:
    """The state as ``PostgresOrderStore`` rebuilds it from the columns."""
    if row.status not in State.__members__.values() or row.flow_version is None:
        return None
    assert row.stage_position is not None
    assert row.stage_entered_at is not None
    assert row.stage_due_at is not None
    assert row.projected_completion_at is not None
    assert row.promised_date is not None
    return OrderState(
        status=State(row.status),
        flow_version=row.flow_version,
        stage_position=row.stage_position,
        entry_sequence=row.entry_sequence,
        stage_entered_at=row.stage_entered_at,
        stage_due_at=row.stage_due_at,
        stage_planned_due_at=row.stage_planned_due_at or row.stage_due_at,
        projected_completion_at=row.projected_completion_at,
        promised_date=row.promised_date,
        promised_date_proposed=row.promised_date_proposed,
        assignee=row.assignee,
        assignee_id=row.assignee_id,
        paused_at=row.paused_at,
        paused_total=row.paused_total,
        lab_status=row.lab_status,
        lab_eta=row.lab_eta,
        lab_reported_at=row.lab_reported_at,
        pause_reason=row.pause_reason,
        projected_from_lab_eta=row.projected_from_lab_eta,
        version=row.version,
    )


def _flow(service_type: str, row: _VersionRow) -> FlowVersion:
    return FlowVersion(
        service_type=service_type, name=row.name, version=row.version, stages=row.stages
    )


def _national_digits(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = "".join(c for c in phone if c.isdigit())
    return digits[2:] if phone.startswith("+55") else digits


def _now() -> datetime:
    return datetime.now(UTC)
