"""The plain records workflow's stores keep and return: typed, never row dicts.

Stores (``workflow.usecases.ports``) take and give these; the PostgreSQL adapters map them to
rows and the in-memory fakes in ``tests/fakes`` keep them as they are. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from workflow.domain.calendar_settings import CalendarSettings
from workflow.domain.flow import Stage
from workflow.domain.json_types import JsonObject
from workflow.domain.order_state import OrderState
from workflow.domain.risk import RiskAssessment
from workflow.domain.tracking import TrackedOrder


@dataclass(frozen=True, slots=True)
class Branch:
    """Workflow's copy of one of intake's branches, with the calendar settings kept here."""

    branch_id: UUID
    chain_id: UUID
    code: str
    name: str
    state: str
    city: str
    timezone: str
    updated_at: datetime
    phone: str | None = None
    address: str | None = None
    opening_hours: str | None = None
    chain_name: str | None = None
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    optional_days: frozenset[str] = frozenset()
    """The chain's chosen "pontos facultativos" (keys of ``OptionalDay``), copied per branch."""
    calendar_revision: int = 0
    """Bumped by every change of the calendar or of the chain's optional days."""
    calendar_updated_at: datetime | None = None
    calendar_updated_by: str | None = None
    city_holidays: tuple[ImportedCityDay, ...] | None = None
    """The city's holiday list the chain imported (None: none; it replaces the built-in one)."""


@dataclass(frozen=True, slots=True)
class ImportedCityDay:
    """One day of a city's holiday list a chain imported (.ics or CSV)."""

    day: date
    name: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class StaffMember:
    """Workflow's copy of one of intake's staff accounts (from ``user.upserted``)."""

    user_id: UUID
    chain_id: UUID
    name: str
    role: str
    branch_ids: frozenset[UUID]
    active: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ChainOptionalDays:
    optional_days: tuple[str, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceType:
    """A service type with its latest flow version (the one new orders take)."""

    chain_id: UUID
    code: str
    name: str
    active: bool
    version: int
    stages: tuple[Stage, ...]
    created_at: datetime
    """When the latest version was saved."""
    created_by: str | None


@dataclass(frozen=True, slots=True)
class SavedFlowVersion:
    """One stored version of a flow, with when and by whom it was saved."""

    code: str
    version: int
    name: str
    stages: tuple[Stage, ...]
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class NewOrder:
    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    number: str
    service_type: str
    customer_name: str
    lab_code: str | None
    promised_date: date | None
    opened_at: datetime
    reopened_from: UUID | None = None
    reopen_kind: str | None = None
    customer_phone: str | None = None
    """E.164; kept as national digits for search. A remake takes its original's."""
    confirm_before_proposal: bool = False
    """The counter confirmed a promised date earlier than the proposal on purpose."""


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order: the machine's state (None when the order has no flow) and what surrounds it."""

    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    number: str
    service_type: str
    customer_name: str
    lab_code: str | None
    status: str
    risk_level: str
    reopened_from: UUID | None
    tracking_token: str
    """The customer's link token (``/a/<token>``), random, never derived from the order id."""
    state: OrderState | None
    branch: Branch
    applied_seq: int = 1
    """The last of the order's events applied, in intake's numbering (``order_seq``)."""
    parked_events: bool = False
    """Whether later events of the order wait in the parking lot (read with the order, under
    its lock: nothing is parked for it meanwhile)."""


@dataclass(frozen=True, slots=True)
class RiskUpdate:
    """A risk assessment written with the state it was made on (``OrderStore.save_state``).

    ``previous`` is the level the order had when it was loaded: the write is refused (a
    conflict, like a changed version) when the stored level is no longer that one, so the
    level reported as changed is always the one replaced. ``at`` is when it was assessed
    (``risk_changed_at`` when the level changes)."""

    assessment: RiskAssessment
    previous: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    chain_id: UUID
    order_id: UUID
    occurred_at: datetime
    actor: str
    kind: str
    summary: str
    detail: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StageEntry:
    """One stay in a stage: planned due (at entry), due (moved by pauses), actual exit."""

    entry_sequence: int
    stage_position: int
    stage_key: str
    stage_name: str
    entered_at: datetime
    planned_due_at: datetime
    due_at: datetime
    exited_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LabUpdate:
    chain_id: UUID
    order_id: UUID
    lab_code: str
    status: str
    eta: date | None
    reported_at: datetime
    received_at: datetime
    applied: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class MessageStatus:
    """The newest status of one customer message of the order (from the notifier)."""

    chain_id: UUID
    order_id: UUID
    notification_id: UUID
    entry_sequence: int
    status: str
    reason: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderRisk:
    level: str
    reason: str | None
    check_at: datetime | None
    """The sweeper's timer: when the level could next change on its own."""
    changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class OrderHistory:
    """What an order's history tables hold, oldest first (what the use cases wrote)."""

    stages: tuple[StageEntry, ...]
    timeline: tuple[TimelineEntry, ...]
    lab_updates: tuple[LabUpdate, ...]
    messages: tuple[MessageStatus, ...]


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    routing_key: str
    payload: JsonObject


@dataclass(frozen=True, slots=True)
class TrackingRecord:
    """What the page may show besides the view: nothing else of the order is read."""

    order: TrackedOrder
    order_number: str
    customer_name: str
    promised_date: date | None
    chain_name: str | None
    branch_name: str
    branch_address: str | None
    branch_phone: str | None
    branch_opening_hours: str | None


@dataclass(frozen=True, slots=True)
class ReviewScheduleRecord:
    """A service type's review schedule as stored: its owner, cadence and last review."""

    code: str
    name: str
    version: int | None
    """The type's newest flow version (None before the first)."""
    process_owner: UUID | None
    process_owner_name: str | None
    review_cadence: str | None
    owner_since: datetime | None
    """When the current owner was named (a new owner's review clock starts then)."""
    last_reviewed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProcessReviewRecord:
    """A process review recorded by the type's owner or a chain administrator."""

    review_id: UUID
    chain_id: UUID
    service_type: str
    reviewed_by: UUID
    reviewed_by_name: str
    reviewed_at: datetime
    period_from: date
    period_to: date
    findings: str
    decisions: str
    flow_version: int | None
    """The type's newest flow version when the review was recorded."""
    resulting_version: int | None
    """The flow version the review's decisions produced, if any."""
    figures: JsonObject = field(default_factory=dict)
    """The period's figures as they were when the review was recorded."""
