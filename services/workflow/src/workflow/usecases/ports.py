"""The stores and the outbox the use cases work through, as Protocols.

Each store is bound to one transaction: the PostgreSQL adapters
(``workflow.adapters.postgres.stores``) wrap the consumer's or request's connection, the
in-memory fakes (``tests.fakes.workflow_stores``) a dict per table. Both pass the same contract
suites (``tests/contract/test_workflow_*.py``), so a use case tested on the fakes behaves the
same on the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from etapa_contracts.events import BranchSnapshot, Event
from workflow.domain.calendar import BranchCalendar
from workflow.domain.calendar_settings import CalendarSettings
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.history import HistoricalOrder, HistoryBlock
from workflow.domain.order_actions import StageEntered
from workflow.domain.order_state import OrderState
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
    StoredOrder,
    TimelineEntry,
    TrackingRecord,
)
from workflow.domain.responsibles import Person
from workflow.domain.risk import RiskAssessment


class OrderStore(Protocol):
    """The order aggregate: its row (state, risk, timer), history and timeline."""

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
        """Insert the order; False when it exists already (a replayed order.opened)."""
        ...

    async def load(self, chain_id: UUID, order_id: UUID) -> StoredOrder | None: ...

    async def chain_of(self, order_id: UUID) -> UUID | None:
        """The order's chain (None for an unknown order): the sweeper knows only ids."""
        ...

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
        """Write ``state`` if the order is still at ``expected_version``; False on a conflict.

        ``due_explanation`` replaces the stage's explanation (a new stage); ``…_addendum`` is
        added to it (what a pause gave back). ``closed`` stamps ``closed_at`` and stops the
        risk timer. ``risk``: the assessment of the new state, written in the same statement
        (a conflict too when the stored level is no longer ``risk.previous``).
        ``applied_seq``: the sequence of the event that made the decision."""
        ...

    async def due_explanation(self, order_id: UUID) -> str | None: ...

    async def next_remake_number(self, original: StoredOrder) -> str:
        """``<number>-R<n>``: n is one more than the remakes already opened from it."""
        ...

    async def add_timeline(self, entry: TimelineEntry) -> None: ...

    async def add_timelines(self, entries: Sequence[TimelineEntry]) -> None:
        """Add the entries, in this order, in one round trip."""
        ...

    async def enter_stage(self, chain_id: UUID, order_id: UUID, entered: StageEntered) -> None:
        """Close the open stage entry (if any) and open the new one."""
        ...

    async def close_stage(self, order_id: UUID, at: datetime) -> None: ...

    async def move_stage_due(self, order_id: UUID, due_at: datetime) -> None:
        """The open stage entry's due time, moved by a pause."""
        ...

    async def add_lab_update(self, update: LabUpdate) -> None: ...

    async def upsert_message(self, message: MessageStatus) -> None:
        """Keep a message's newest status: an older report never overwrites a newer one."""
        ...

    async def record_message(self, message: MessageStatus, entry: TimelineEntry) -> bool:
        """``upsert_message`` and ``add_timeline`` at once, when the order is the message's
        (same id and chain); False, with nothing written, when it is not known."""
        ...

    async def history(self, order_id: UUID) -> OrderHistory: ...

    async def set_risk(self, order_id: UUID, assessment: RiskAssessment, now: datetime) -> str:
        """Store the assessment and its timer; returns the level the order had before."""
        ...

    async def risk(self, order_id: UUID) -> OrderRisk | None: ...

    async def due_for_risk_check(self, now: datetime, limit: int) -> list[UUID]:
        """Claim open orders whose risk timer is due (oldest first); other sweepers skip them."""
        ...

    async def postpone_risk_check(self, order_id: UUID, until: datetime) -> None: ...


class OrderSequence(Protocol):
    """An order's events in the order intake accepted them: lock, counter, parking lot."""

    async def lock(self, order_id: UUID) -> None:
        """Hold the order until the transaction ends (even before the order exists)."""
        ...

    async def applied_seq(self, chain_id: UUID, order_id: UUID) -> int | None:
        """The last sequence applied to the order; None while workflow does not know it."""
        ...

    async def set_applied(self, order_id: UUID, seq: int) -> None: ...

    async def park(self, event: Event, order_id: UUID, seq: int) -> bool:
        """Keep ``event`` until its turn; False when that sequence is already parked."""
        ...

    async def take(self, chain_id: UUID, order_id: UUID, seq: int) -> ParkedEvent | None:
        """Remove and return the parked event with sequence ``seq``, if it is there."""
        ...


class FlowStore(Protocol):
    """Service types and their immutable flow versions."""

    async def latest(self, chain_id: UUID, service_type: str) -> FlowVersion | None: ...

    async def version(
        self, chain_id: UUID, service_type: str, version: int
    ) -> FlowVersion | None: ...

    async def for_order(self, chain_id: UUID, service_type: str, version: int) -> FlowVersion:
        """The version an order runs on, under the type's current name; LookupError if gone."""
        ...

    async def is_active(self, chain_id: UUID, service_type: str) -> bool:
        """Whether new orders may take this service type (switched off types keep flows)."""
        ...

    async def create_service_type(
        self, chain_id: UUID, service_type: str, name: str, active: bool
    ) -> bool:
        """Insert the type; False when the chain has it already."""
        ...

    async def lock_service_type(self, chain_id: UUID, service_type: str) -> bool | None:
        """The type's ``active``, its row locked until the transaction ends; None: unknown."""
        ...

    async def set_active(self, chain_id: UUID, service_type: str, active: bool) -> None: ...

    async def add_version(
        self,
        chain_id: UUID,
        service_type: str,
        name: str,
        stages: tuple[Stage, ...],
        *,
        created_by: str | None,
    ) -> tuple[FlowVersion, bool]:
        """Store the next version (creating the type if new); the flow and the type's
        ``active``. No validation here: callers go through ``save_flow_version``."""
        ...


class BranchStore(Protocol):
    """Workflow's copy of branches, their calendar settings and the chain's optional days."""

    async def upsert(self, chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> None:
        """Keep the newest snapshot: an older event never overwrites a newer one."""
        ...

    async def ensure(self, chain_id: UUID, branch: BranchSnapshot, as_of: datetime) -> Branch:
        """The branch, inserted from ``branch`` if its branch.upserted has not arrived yet.

        LookupError when the id belongs to another chain."""
        ...

    async def get(self, chain_id: UUID, branch_id: UUID) -> Branch | None: ...

    async def save_calendar(
        self,
        chain_id: UUID,
        branch_id: UUID,
        settings: CalendarSettings,
        *,
        actor: str | None,
        now: datetime,
    ) -> Branch | None:
        """Store the branch's settings; the new branch, or None for another chain's branch."""
        ...

    async def chain_optional_days(self, chain_id: UUID) -> ChainOptionalDays: ...

    async def set_chain_optional_days(
        self, chain_id: UUID, days: Iterable[str], *, actor: str | None, now: datetime
    ) -> list[UUID]:
        """Store the chain's choice and copy it to each of its branches; their ids."""
        ...


class ReviewStore(Protocol):
    """Process reviews: the delivered history, owners and cadences, the reviews recorded.

    Every read and write is scoped to ``chain_id``; ``branches`` (None: all of the chain's)
    narrows the history to the branches the caller sees. Its fake is ``FakeReviewStore``
    (``tests/fakes/workflow_stores.py``), held to the same contract as PostgreSQL by
    ``tests/contract/test_workflow_review_store.py``."""

    def read_only(self) -> AbstractAsyncContextManager[None]:
        """One consistent snapshot that takes no row locks (the live order flow never waits)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """A read-write transaction: everything inside commits together."""
        ...

    async def latest_flow(self, chain_id: UUID, service_type: str) -> FlowVersion | None: ...

    async def chain_branches(self, chain_id: UUID) -> list[Branch]: ...

    async def delivered_history(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: frozenset[UUID] | None,
    ) -> list[HistoricalOrder]:
        """The type's orders delivered on local days ``date_from``–``date_to``, with stays."""
        ...

    async def replay_history(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: frozenset[UUID] | None,
    ) -> list[HistoryBlock]:
        """The same orders as ``delivered_history`` with only what a what-if replay reads, as
        blocks of columns (by branch and the stages the orders went through)."""
        ...

    async def finished_stays(
        self,
        chain_id: UUID,
        service_type: str,
        date_from: date,
        date_to: date,
        branches: frozenset[UUID] | None,
    ) -> list[Stay]:
        """Stays in the type's stages that ended in the period (local day of the exit)."""
        ...

    async def schedules(self, chain_id: UUID) -> list[ReviewScheduleRecord]:
        """Each service type of the chain with its owner, cadence and last review, by code."""
        ...

    async def schedule(self, chain_id: UUID, code: str) -> ReviewScheduleRecord | None: ...

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
        """Name (or clear) the type's owner; False when the chain has no such type."""
        ...

    async def add_review(self, review: ProcessReviewRecord) -> None: ...

    async def list_reviews(
        self, chain_id: UUID, code: str, limit: int, offset: int
    ) -> list[ProcessReviewRecord]:
        """Newest first, ``limit + 1`` rows (for the page's ``has_more``)."""
        ...

    async def version_exists(self, chain_id: UUID, code: str, version: int) -> bool: ...


class StaffStore(Protocol):
    """The chain's people (kept from intake's ``user.upserted``) and each stage's default
    person per branch."""

    async def upsert(self, person: StaffMember) -> None:
        """Keep the newest version of the person: an older one never overwrites a newer one,
        nor does another chain's."""
        ...

    async def defaults_for(
        self, chain_id: UUID, service_type: str, branch_id: UUID
    ) -> Mapping[str, Person]:
        """Stage key → the branch's default person, only for people who may take its orders:
        active, not read-only, working in the branch (a chain admin works everywhere)."""
        ...


class Calendars(Protocol):
    def for_branch(self, branch: Branch, now: datetime) -> BranchCalendar:
        """The branch's calendar around ``now`` (cached: it reads the holidays package)."""
        ...


class TrackingReader(Protocol):
    async def find_by_token(self, token: str) -> TrackingRecord | None:
        """The order whose link token is ``token``; None when unknown or not in a flow."""
        ...


class Outbox(Protocol):
    async def enqueue(self, event: Event) -> None:
        """Publish ``event`` once the transaction commits."""
        ...


class Stores(Protocol):
    """Every store of one transaction, and savepoints inside it."""

    @property
    def orders(self) -> OrderStore: ...
    @property
    def sequence(self) -> OrderSequence: ...
    @property
    def flows(self) -> FlowStore: ...
    @property
    def branches(self) -> BranchStore: ...
    @property
    def staff(self) -> StaffStore: ...
    @property
    def outbox(self) -> Outbox: ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """Undo what happens inside when it raises; the rest of the transaction goes on."""
        ...
