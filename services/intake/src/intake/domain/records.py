"""Typed records of intake's data, as the stores read and write them (no row dicts).

Plain frozen dataclasses: the PostgreSQL adapters build them from rows, the in-memory fakes
keep them as they are, and the HTTP schemas are filled from them (``asdict``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from uuid import UUID

from etapa_contracts.events import BranchSnapshot, OrderAction

JsonObject = dict[str, object]
"""A JSON object as read from a request (an order's items)."""
Via = Literal["amqp", "http"]
"""How a lab message arrived: the lab queue or ``POST /api/v1/lab-updates``."""
LabMessageStatus = Literal["accepted", "rejected", "replayed", "stale"]


@dataclass(frozen=True, slots=True)
class Chain:
    chain_id: UUID
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Branch:
    branch_id: UUID
    chain_id: UUID
    code: str
    name: str
    state: str
    city: str
    timezone: str
    phone: str | None
    address: str | None
    opening_hours: str | None
    sms_starts_at: time
    sms_ends_at: time
    sms_weekdays: list[int]
    updated_at: datetime

    def snapshot(self, chain_name: str | None = None) -> BranchSnapshot:
        """The branch as events carry it (``branch.upserted.v1``, ``order.opened.v1``)."""
        return BranchSnapshot(
            branch_id=self.branch_id,
            code=self.code,
            name=self.name,
            state=self.state,
            city=self.city,
            timezone=self.timezone,
            phone=self.phone,
            address=self.address,
            opening_hours=self.opening_hours,
            chain_name=chain_name,
        )


@dataclass(frozen=True, slots=True)
class NumberedBranch:
    """A branch whose next order number was just taken (``seq``), with its chain's name."""

    branch: Branch
    seq: int
    chain_name: str


@dataclass(frozen=True, slots=True)
class Order:
    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    number: str
    service_type: str
    customer_name: str
    customer_phone: str
    sms_consent: bool
    items: list[JsonObject]
    promised_date: date | None
    lab_code: str | None
    lab_order_number: str | None
    notes: str | None
    external_reference: str | None
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class Action:
    action_id: UUID
    chain_id: UUID
    order_id: UUID
    kind: str
    actor: str
    reason: str | None
    target_stage: str | None
    assignee: str | None
    note: str | None
    reopen_kind: str | None
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class StoredAction:
    """An action as the order store wrote it, with its event and its order's branch zone."""

    action: Action
    event: OrderAction
    """The event as stored in the outbox (with its ``order_seq``)."""
    branch_zone: str | None
    """The IANA zone of the order's branch."""


@dataclass(frozen=True, slots=True)
class User:
    user_id: UUID
    chain_id: UUID
    email: str
    name: str
    role: str
    """A ``shared.auth.Role`` value (the domain does not import the auth framework)."""
    branch_ids: list[UUID]
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SignInCandidate:
    """The user an e-mail names, with what signing in needs: the hash and whether active."""

    user_id: UUID
    chain_id: UUID
    name: str
    role: str
    branch_ids: list[UUID]
    password_hash: str
    active: bool


@dataclass(frozen=True, slots=True)
class Lab:
    """A lab as the lab intake sees it (its identity on the broker is ``code``)."""

    lab_id: UUID
    chain_id: UUID
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class LabRecord:
    lab_id: UUID
    chain_id: UUID
    code: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LabKey:
    key_id: UUID
    lab_id: UUID
    key_prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: LabKey
    secret: str
    """Shown once; only its SHA-256 is stored."""


@dataclass(frozen=True, slots=True)
class StoredLabMessage:
    lab_message_id: UUID
    received_at: datetime
    via: Via
    routing_key: str | None
    lab_code: str | None
    message_id: str | None
    body: bytes
    status: LabMessageStatus
    reason: str | None
    order_id: UUID | None
    occurred_at: datetime | None
    attempts: int
    last_attempt_at: datetime
    branch_timezone: str | None = None
    """The zone of the branch of the order the message matched; None when it matched none."""


@dataclass(frozen=True, slots=True)
class EarlierLabMessage:
    """A message already stored under the same (lab, ``message_id``), locked for update."""

    lab_message_id: UUID
    status: LabMessageStatus
    order_id: UUID | None
