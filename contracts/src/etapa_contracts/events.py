"""Event contracts: the messages the three services exchange on ``etapa.events``.

Rules:
- Every event is a frozen pydantic model with ``type``, ``version``, ``message_id``,
  ``occurred_at``, ``correlation_id`` and ``chain_id`` (tenancy travels with every message).
- Consumers ignore fields they do not know (``extra="ignore"``), so a producer may add fields
  within a major version. A breaking change is a new class with ``version = 2`` published
  beside the old one, under its own routing key.
- The routing key is ``<type>.v<version>``, e.g. ``order.opened.v1``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class Contract(BaseModel):
    """A value object inside an event: frozen and tolerant of unknown fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Event(Contract):
    """The envelope every event carries."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    message_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime
    correlation_id: str
    chain_id: UUID

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.TYPE}.v{cls.VERSION}"


class BranchSnapshot(Contract):
    """What other services keep of a branch."""

    branch_id: UUID
    code: str
    name: str
    state: str = Field(description="UF, two letters, e.g. SP")
    city: str
    timezone: str = Field(description="IANA time zone, e.g. America/Sao_Paulo")
    phone: str | None = None
    address: str | None = Field(default=None, description="street address, for customers")
    opening_hours: str | None = Field(
        default=None, description="opening hours as customers read them, e.g. seg–sex 9h–18h"
    )
    chain_name: str | None = Field(default=None, description="the chain's name, for customers")


class SendingWindow(Contract):
    """Local hours in which a branch's customers may receive an SMS."""

    starts_at: time = time(8, 0)
    ends_at: time = time(20, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5)


class BranchUpserted(Event):
    TYPE = "branch.upserted"
    type: Literal["branch.upserted"] = "branch.upserted"
    version: Literal[1] = 1
    branch: BranchSnapshot
    sending_window: SendingWindow = SendingWindow()


class CustomerSummary(Contract):
    name: str
    phone: str = Field(description="E.164, e.g. +5511987654321")
    sms_consent: bool


class OrderOpened(Event):
    TYPE = "order.opened"
    type: Literal["order.opened"] = "order.opened"
    version: Literal[1] = 1
    order_id: UUID
    order_number: str
    branch: BranchSnapshot
    service_type: str = Field(description="the service type's code, e.g. venda-oculos-grau")
    customer: CustomerSummary
    promised_date: date | None = None
    lab_code: str | None = None
    opened_at: datetime
    opened_by: str | None = None
    order_seq: int | None = Field(
        default=None,
        ge=1,
        description="the order's event sequence, assigned by intake: 1 is the opening, each "
        "action or lab status it accepts for the order takes the next; workflow applies an "
        "order's events in this order (absent: applied on arrival, as before)",
    )
    confirm_before_proposal: bool = Field(
        default=False,
        description="the counter confirmed a promised date earlier than the proposal on purpose",
    )


OrderActionKind = Literal[
    "advance", "back", "pause", "resume", "assign", "note", "cancel", "deliver", "reopen"
]


class OrderAction(Event):
    TYPE = "order.action"
    type: Literal["order.action"] = "order.action"
    version: Literal[1] = 1
    order_id: UUID
    action: OrderActionKind
    actor: str
    requested_at: datetime
    reason: str | None = None
    target_stage: str | None = Field(
        default=None, description="advance: a later stage's key to go straight to"
    )
    assignee: str | None = None
    note: str | None = None
    reopen_kind: Literal["remake", "warranty"] | None = Field(
        default=None, description="for reopen: a remake (refação) or a warranty claim (garantia)"
    )
    actor_id: UUID | None = Field(default=None, description="the staff user who asked for it")
    assignee_id: UUID | None = Field(
        default=None,
        description="assign: the staff user who takes the order (intake checked they work in "
        "the order's branch); ``assignee`` is then their name",
    )
    order_seq: int | None = Field(
        default=None,
        ge=1,
        description="the order's event sequence, assigned by intake: 1 is the opening, each "
        "action or lab status it accepts for the order takes the next; workflow applies an "
        "order's events in this order (absent: applied on arrival, as before)",
    )
    expected_version: int | None = Field(
        default=None,
        ge=1,
        description="the order's version the person saw when they acted; workflow refuses the "
        "action when the order has changed since (absent: no check)",
    )


LabStatusCode = Literal[
    "received",
    "in_production",
    "surfacing",
    "coating",
    "edging",
    "assembly",
    "quality_check",
    "shipped",
    "on_hold",
    "cancelled",
    "remake",
]


class LabStatus(Event):
    TYPE = "lab.status"
    type: Literal["lab.status"] = "lab.status"
    version: Literal[1] = 1
    order_id: UUID
    order_number: str
    lab_code: str
    lab_order_number: str | None = None
    status: LabStatusCode
    eta: date | None = None
    reported_at: datetime
    raw_message_id: str
    status_raw: str | None = Field(default=None, description="the lab's own status code")
    note: str | None = None
    order_seq: int | None = Field(
        default=None,
        ge=1,
        description="the order's event sequence, assigned by intake: 1 is the opening, each "
        "action or lab status it accepts for the order takes the next; workflow applies an "
        "order's events in this order (absent: applied on arrival, as before)",
    )


class StageRef(Contract):
    key: str
    name: str
    position: int = Field(description="0-based position in the flow version")
    customer_name: str | None = Field(
        default=None,
        description="what the customer reads for the stage (SMS {etapa}); absent: name",
    )


class OrderStageChanged(Event):
    TYPE = "order.stage_changed"
    type: Literal["order.stage_changed"] = "order.stage_changed"
    version: Literal[1] = 1
    order_id: UUID
    order_number: str
    branch_id: UUID
    from_stage: StageRef | None
    to_stage: StageRef
    entry_sequence: int = Field(description="1 for the first stage entry, +1 on every entry")
    entered_at: datetime
    due_at: datetime
    projected_completion_at: datetime
    promised_date: date | None
    sms_template: str | None = Field(
        default=None, description="the stage's message, present only when it is enabled"
    )
    sms_on_reentry: bool = Field(
        default=False,
        description="send the stage's message even when this order already got it "
        "(the order came back to the stage); false: once per stage and order",
    )
    reopened_from: UUID | None = Field(
        default=None,
        description="set on a remake/warranty order opened by workflow: the original order, "
        "whose customer it shares",
    )
    tracking_token: str | None = Field(
        default=None,
        description="the order's customer link token: the SMS {link} is "
        "ETAPA_TRACKING_BASE_URL + '/a/' + token (absent from older producers: no link)",
    )


class RemakeOpened(Event):
    """Workflow opened a remake or warranty order on reopening an order (in the same
    transaction); intake registers it as a copy of the original's registration under its new
    id and number, so staff actions and lab messages can name it."""

    TYPE = "order.remake_opened"
    type: Literal["order.remake_opened"] = "order.remake_opened"
    version: Literal[1] = 1
    order_id: UUID = Field(description="the new order's id")
    order_number: str = Field(description="the new order's number, e.g. SP01-000123-R1")
    branch_id: UUID
    reopened_from: UUID = Field(description="the original order, whose customer it shares")
    reopen_kind: Literal["remake", "warranty"]
    opened_at: datetime


RiskLevel = Literal["on_track", "at_risk", "overdue"]


class OrderRiskChanged(Event):
    TYPE = "order.risk_changed"
    type: Literal["order.risk_changed"] = "order.risk_changed"
    version: Literal[1] = 1
    order_id: UUID
    branch_id: UUID
    level: RiskLevel
    reason: str


class OrderClosed(Event):
    TYPE = "order.closed"
    type: Literal["order.closed"] = "order.closed"
    version: Literal[1] = 1
    order_id: UUID
    branch_id: UUID | None = Field(default=None, description="for the live boards' scoping")
    outcome: Literal["delivered", "cancelled"]
    closed_at: datetime


NotificationState = Literal["held", "sent", "delivered", "failed", "suppressed"]


class NotificationStatus(Event):
    TYPE = "notification.status"
    type: Literal["notification.status"] = "notification.status"
    version: Literal[1] = 1
    order_id: UUID
    branch_id: UUID | None = Field(default=None, description="for the live boards' scoping")
    notification_id: UUID
    entry_sequence: int
    status: NotificationState
    reason: str | None = None


class ServiceTypePublished(Event):
    """A service type's flow got a new version, or the type was switched on or off.

    Intake keeps the chain's service types from these, to refuse orders of an unknown or
    inactive type at the counter. The newest ``flow_version`` wins; an older one is ignored.
    """

    TYPE = "service_type.published"
    type: Literal["service_type.published"] = "service_type.published"
    version: Literal[1] = 1
    code: str = Field(description="the service type's code, e.g. venda-oculos-grau")
    name: str
    flow_version: int = Field(description="the flow version new orders of this type take")
    active: bool = True


class UserUpserted(Event):
    """A staff account was created or changed (name, role, branches, active).

    Workflow keeps a copy of the chain's people from these, to name the responsible person of
    a stage and check that they work in the branch."""

    TYPE = "user.upserted"
    type: Literal["user.upserted"] = "user.upserted"
    version: Literal[1] = 1
    user_id: UUID
    name: str
    role: str = Field(description="chain_admin, branch_manager, attendant or viewer")
    branch_ids: tuple[UUID, ...] = ()
    active: bool = True


ALL_EVENTS: tuple[type[Event], ...] = (
    BranchUpserted,
    UserUpserted,
    OrderOpened,
    OrderAction,
    LabStatus,
    OrderStageChanged,
    RemakeOpened,
    OrderRiskChanged,
    OrderClosed,
    NotificationStatus,
    ServiceTypePublished,
)


UserChangeKind = Literal["deactivated", "role", "branches", "password"]


class UserChanged(Event):
    """A staff user lost or changed their power: tokens issued before ``valid_since`` no longer
    sign anyone in, on any service."""

    TYPE = "user.changed"
    type: Literal["user.changed"] = "user.changed"
    version: Literal[1] = 1
    user_id: UUID
    valid_since: datetime = Field(
        description="tokens of this user issued before this moment are refused"
    )
    changes: tuple[UserChangeKind, ...] = Field(
        default=(), description="what changed: deactivated, role, branches, password"
    )
