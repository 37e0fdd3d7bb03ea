"""Response bodies of the workflow's HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class OrderSummary(BaseModel):
    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    branch_code: str
    branch_name: str
    number: str
    service_type: str
    flow_version: int | None
    customer_name: str
    lab_code: str | None
    status: str
    status_reason: str | None
    stage_position: int | None
    stage_key: str | None
    stage_name: str | None
    entry_sequence: int
    stage_entered_at: datetime | None
    stage_due_at: datetime | None
    stage_due_explanation: str | None
    projected_completion_at: datetime | None
    promised_date: date | None
    promised_date_proposed: bool
    opened_at: datetime
    updated_at: datetime
    version: int
    assignee: str | None
    """Who holds the order (their name)."""
    risk_level: Literal["on_track", "at_risk", "overdue"]
    risk_reason: str | None
    risk_changed_at: datetime | None
    paused_at: datetime | None
    """When the clock stopped (a pause or a waiting stage); null while it runs."""
    paused_total_seconds: int
    lab_status: str | None
    lab_eta: date | None
    lab_reported_at: datetime | None
    reopened_from: UUID | None
    reopen_kind: str | None
    closed_at: datetime | None
    pause_reason: str | None = None
    """Why the order is paused, while it is."""
    projected_completion_reason: str | None = None
    """What the projection follows: "pela previsão do laboratório de 21/12" or the stage."""
    projected_from_lab_eta: date | None = None
    """The lab forecast the projection follows; null when it follows the stage's due time."""
    proposed_date: date | None = None
    """The date the flow proposed at opening."""
    promised_before_proposal: bool = False
    """The counter promised a date earlier than the proposal (see the timeline)."""
    branch_timezone: str | None = None
    """The branch's IANA zone; every time in this answer carries its offset."""
    assignee_id: UUID | None = None
    """The user id of who holds the order (null: nobody, or a name given in free text)."""
    stage_responsible_role: str | None = None
    """The role the current stage's flow names for the step (e.g. ``technician``)."""


class BoardColumn(BaseModel):
    """One stage of a board: how many open orders it holds and the most urgent of them."""

    stage_key: str | None
    stage_name: str | None
    count: int
    """Every order of the board in this stage, shown or not."""
    orders: list[OrderSummary]
    """The most urgent first: overdue, at risk, on track; then the stage due soonest; then the
    order number. At most ``per_column``."""


class BoardCounters(BaseModel):
    open: int
    at_risk: int
    overdue: int
    deliver_today: int
    """Promised for the day it is now at each order's branch."""


class OrderBoard(BaseModel):
    """The open orders of one service type, stage by stage, counted and cut to what a screen
    shows."""

    counters: BoardCounters
    columns: list[BoardColumn]
    """The stages that hold an order, in the flow's order (an older version's stage after)."""
    assignees: list[str]
    """Everyone holding one of the board's orders, by name, sorted."""


class TimelineEntry(BaseModel):
    occurred_at: datetime
    """When it happened (the timeline is sorted by it)."""
    recorded_at: datetime
    """When it arrived (a lab's report can arrive after other entries)."""
    actor: str
    kind: str
    summary: str
    detail: dict[str, object]


class StageEntryOut(BaseModel):
    """One stay in a stage: planned due (at entry), due (moved by pauses), actual exit."""

    entry_sequence: int
    stage_position: int
    stage_key: str
    stage_name: str
    entered_at: datetime
    planned_due_at: datetime
    due_at: datetime
    exited_at: datetime | None


class LabUpdateOut(BaseModel):
    lab_code: str
    status: str
    eta: date | None
    reported_at: datetime
    received_at: datetime
    applied: bool
    note: str | None


class MessageOut(BaseModel):
    notification_id: UUID
    entry_sequence: int
    status: str
    reason: str | None
    updated_at: datetime


class LinkedOrder(BaseModel):
    order_id: UUID
    number: str
    kind: str | None
    status: str
    opened_at: datetime


class OrderDetail(OrderSummary):
    paused: bool
    """Paused by staff (status ``paused``)."""
    clock_stopped: bool
    """The clock is stopped: paused, or waiting in a stage that stops it."""
    reopened_from_number: str | None
    tracking_token: str = Field(
        description="the customer's link is ETAPA_TRACKING_BASE_URL/a/<tracking_token>"
    )
    stages: list[StageEntryOut]
    timeline: list[TimelineEntry]
    lab_updates: list[LabUpdateOut]
    messages: list[MessageOut]
    remakes: list[LinkedOrder]


class ServiceTypeOut(BaseModel):
    chain_id: UUID
    code: str
    name: str
    version: int
    stages: list[dict[str, object]]
    created_at: datetime
