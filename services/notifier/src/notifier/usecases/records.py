"""Typed records the stores read and write (what used to travel as ``dict[str, Any]`` rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from uuid import UUID

from notifier.domain.callbacks import Outcome as ReportOutcome
from notifier.domain.delivery import OptOutSource, OrderState, overtaken
from notifier.domain.lifecycle import MessageState


@dataclass(frozen=True, slots=True)
class MessageKey:
    """What a ``notification.status.v1`` event names of its message."""

    notification_id: UUID
    chain_id: UUID
    branch_id: UUID | None
    order_id: UUID
    entry_sequence: int
    correlation_id: str | None = None
    """The order's correlation id (from its stage change), carried by its status events."""


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A stage entry's message as the consumer records it."""

    notification_id: UUID
    chain_id: UUID
    order_id: UUID
    branch_id: UUID
    order_number: str
    entry_sequence: int
    stage_key: str
    stage_name: str
    customer_stage_name: str | None
    template: str
    promised_date: date | None
    forecast_date: date | None
    next_attempt_at: datetime
    tracking_token: str | None
    suppressed_reason: str | None
    """Set: the message is born ``suppressed`` with this reason (its stage already reached
    the customer)."""
    correlation_id: str | None = None
    """The stage change's correlation id: the order's, from the counter to the SMS."""
    trace_context: dict[str, str] | None = None
    """W3C trace headers of the stage change, so the send continues the order's trace."""

    @property
    def key(self) -> MessageKey:
        return MessageKey(
            self.notification_id,
            self.chain_id,
            self.branch_id,
            self.order_id,
            self.entry_sequence,
            self.correlation_id,
        )


@dataclass(frozen=True, slots=True)
class BranchWindow:
    starts_at: time
    ends_at: time
    weekdays: frozenset[int]


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A message claimed for sending, with all the dispatcher needs to decide and render it."""

    key: MessageKey
    order_number: str
    stage_name: str
    customer_stage_name: str | None
    template: str
    promised_date: date | None
    forecast_date: date | None
    tracking_token: str | None
    attempts: int
    """Sending rounds, this one included."""
    locked_until: datetime
    """The claim's lease, and its token: a write with another lease lands nowhere."""
    send_after: datetime | None
    """Set when the message was held for the sending window."""
    previous_status: MessageState
    lost_claim_at: datetime | None
    """Set when the message was found ``sending`` with its lease run out (``previous_status``
    ``sending``): when that earlier claim was made, i.e. when its attempt began (a lease
    renewal does not move it)."""
    contact_chain_id: UUID
    customer_name: str
    contact_phone: str
    sms_consent: bool
    branch_name: str
    branch_phone: str | None
    timezone: str | None
    """The branch's time zone; None while the notifier does not know the branch."""
    state: str | None
    window: BranchWindow | None
    latest_entry_sequence: int | None
    order_closed: bool
    later_stage_sent: bool
    """An SMS of a later stage entry of this order is ``sent`` or ``delivered``."""
    opted_out_by: OptOutSource | None
    transliterate: bool
    trace_context: dict[str, str] | None = None
    """W3C trace headers of the stage change that recorded the message (``shared.tracing``)."""

    @property
    def send_key(self) -> str:
        """``<order id>:<stage entry sequence>``: the same for every try of this message."""
        return f"{self.key.order_id}:{self.key.entry_sequence}"


FinalStatus = Literal["sent", "failed", "suppressed"]
"""How a claimed message can end (``sent`` waits for a delivery report)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a claimed message ends."""

    status: FinalStatus
    phone: str
    reason: str | None = None
    body: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    encoding: str | None = None
    segments: int | None = None


@dataclass(frozen=True, slots=True)
class EarlyReport:
    """A provider's final delivery report for a message not yet recorded as ``sent``: kept
    until it is, then applied."""

    provider: str
    provider_message_id: str
    outcome: ReportOutcome
    reason: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class MessageQuery:
    chain_id: UUID
    branches: frozenset[UUID] | None
    """The caller's branches; None: the whole chain."""
    order_id: UUID | None = None
    branch: UUID | None = None
    status: MessageState | None = None
    created_from: date | None = None
    created_to: date | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class StaffMessage:
    """A message as the staff's list shows it (the phone still unmasked: the API masks it)."""

    notification_id: UUID
    chain_id: UUID
    order_id: UUID
    branch_id: UUID
    order_number: str
    entry_sequence: int
    stage_key: str
    stage_name: str
    body: str | None
    shown_phone: str | None
    """The number it went to, or the contact's until it is sent."""
    status: MessageState
    status_reason: str | None
    provider: str | None
    attempts: int
    encoding: str | None
    segments: int | None
    send_after: datetime | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    updated_at: datetime
    branch_timezone: str | None = None
    """The branch's zone (the notifier's copy of the branch), for times given to people."""
    progress: OrderState | None = None
    """What the notifier knows of the order since (its latest stage entry, closed or not)."""

    @property
    def not_sent_reason(self) -> str | None:
        """A held message that will not go out when the sending hours open, and why (the order
        closed or left its stage since: ``notifier.domain.delivery.overtaken``); else None."""
        if self.status != "held" or self.progress is None:
            return None
        return overtaken(self.progress)


@dataclass(frozen=True, slots=True)
class Contact:
    """The notifier's copy of an order's customer (from ``order.opened``)."""

    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    order_number: str
    customer_name: str
    phone: str
    sms_consent: bool
    branch_name: str
    branch_phone: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OptOut:
    phone: str
    opted_out_at: datetime
    source: OptOutSource
    provider: str | None = None
    keyword: str | None = None
    set_by_chain: UUID | None = None
    """The chain whose staff set it; None for a customer's reply (everywhere)."""


@dataclass(frozen=True, slots=True)
class Branch:
    """The notifier's copy of a branch: its time zone, state (holidays) and sending window."""

    branch_id: UUID
    chain_id: UUID
    name: str
    state: str
    city: str
    timezone: str
    window: BranchWindow | None
    """None: keep the stored window (the default one for a branch first seen in an order)."""
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SmsSettings:
    chain_id: UUID
    transliterate: bool
    updated_at: datetime | None
    updated_by: str | None
